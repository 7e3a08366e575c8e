// The pixel addon (selfsup_pixels.node), the loader's pixel kernels in C++: JPEG decoding with
// libjpeg-turbo (jpeg.cc), Pillow's fixed-point and libtorch's antialiased resampling
// (resample.cc), torchvision's colour ops with Pillow's and with libtorch's arithmetic (colour.cc),
// Pillow's box-blur Gaussian (blur.cc), and the loader threads' scheduling class (thread.cc);
// common.h has what they share. This file is the module init, which registers the kernels under
// their JS names (pixels-native.ts types them).
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeJpeg", Napi::Function::New(env, selfsup::DecodeJpeg));
  exports.Set("resizedCropInto", Napi::Function::New(env, selfsup::ResizedCropInto));
  exports.Set("aaResizedCropInto", Napi::Function::New(env, selfsup::AaResizedCropInto));
  exports.Set("aaHorizontal", Napi::Function::New(env, selfsup::AaHorizontal));
  exports.Set("aaVertical", Napi::Function::New(env, selfsup::AaVertical));
  exports.Set("pilColor", Napi::Function::New(env, selfsup::PilColor));
  exports.Set("tvColor", Napi::Function::New(env, selfsup::TvColor));
  exports.Set("pilBoxBlur", Napi::Function::New(env, selfsup::PilBoxBlur));
  exports.Set("setThreadIdlePriority", Napi::Function::New(env, selfsup::SetThreadIdlePriority));
  return exports;
}

}  // namespace

NODE_API_MODULE(selfsup_pixels, Init)
