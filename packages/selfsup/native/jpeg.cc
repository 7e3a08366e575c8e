// JPEG decoding with libjpeg-turbo (what PIL and sharp decode with, so the same pixels):
// decodeJpeg, for the plain JPEGs it decodes exactly as PIL does; the rest go to sharp.
#include "common.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>

#include <jpeglib.h>

namespace selfsup {

namespace {

struct JpegError {
  jpeg_error_mgr pub;
  jmp_buf jump;
};

void onJpegError(j_common_ptr c) { longjmp(reinterpret_cast<JpegError*>(c->err)->jump, 1); }

// Warnings (level −1: corrupt or truncated data, which libjpeg would paper over) abort too: such
// files go to sharp, whose `failOn: 'error'` names them.
void onJpegMessage(j_common_ptr c, int level) {
  if (level < 0) longjmp(reinterpret_cast<JpegError*>(c->err)->jump, 1);
}

// The (H, W, C) pixels of a JPEG as libjpeg-turbo decodes it with its defaults (islow IDCT, fancy
// upsampling: PIL's and libvips' settings), malloc'd; null when the file is not one decoded here:
// not a JPEG, damaged, CMYK/YCCK or Adobe-transformed, with EXIF (orientation) or an ICC profile
// (both change the pixels: sharp's job), or colour when one channel is asked. No C++ object lives
// in this frame: libjpeg reports errors by longjmp.
u8* decodeJpegPixels(const u8* bytes, size_t length, int channels, int* width, int* height) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  u8* volatile out = nullptr;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onJpegError;
  err.pub.emit_message = onJpegMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::free(out);
    return nullptr;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(length));
  for (int app : {1, 2, 14}) jpeg_save_markers(&cinfo, JPEG_APP0 + app, 16);
  jpeg_read_header(&cinfo, TRUE);
  bool plain = !cinfo.saw_Adobe_marker && cinfo.marker_list == nullptr &&
               (cinfo.jpeg_color_space == JCS_GRAYSCALE || cinfo.jpeg_color_space == JCS_YCbCr ||
                cinfo.jpeg_color_space == JCS_RGB) &&
               (channels == 3 || cinfo.jpeg_color_space == JCS_GRAYSCALE);
  if (!plain) longjmp(err.jump, 1);
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t row = static_cast<size_t>(cinfo.output_width) * channels;
  out = static_cast<u8*>(std::malloc(row * cinfo.output_height));
  if (!out) longjmp(err.jump, 1);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW line = out + row * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &line, 1);
  }
  jpeg_finish_decompress(&cinfo);
  *width = static_cast<int>(cinfo.output_width);
  *height = static_cast<int>(cinfo.output_height);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

}  // namespace

// decodeJpeg(bytes, channels): { data, width, height } or null (see decodeJpegPixels).
Napi::Value DecodeJpeg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const u8* bytes = bytesOf(info[0], "decodeJpeg bytes");
  const size_t length = lengthOf(info[0]);
  const int channels = intArg(info, 1);
  if (channels != 1 && channels != 3) throw Napi::RangeError::New(env, "decodeJpeg: channels must be 1 or 3");
  if (length < 4 || bytes[0] != 0xff || bytes[1] != 0xd8) return env.Null();
  int width = 0, height = 0;
  u8* pixels = decodeJpegPixels(bytes, length, channels, &width, &height);
  if (!pixels) return env.Null();
  const size_t size = static_cast<size_t>(width) * height * channels;
  Napi::Uint8Array data = Napi::Uint8Array::New(env, size);
  std::copy(pixels, pixels + size, data.Data());
  std::free(pixels);
  Napi::Object result = Napi::Object::New(env);
  result.Set("data", data);
  result.Set("width", width);
  result.Set("height", height);
  return result;
}

}  // namespace selfsup
