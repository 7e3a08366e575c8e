// JPEG decoding with libjpeg-turbo (what PIL and sharp decode with, so the same pixels):
// decodeJpeg, for the plain JPEGs and CMYK/YCCK ones it decodes exactly as PIL does; the rest go to sharp.
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

// Pillow's MULDIV255: a * b / 255 rounded, with its exact integer arithmetic.
inline int mulDiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

// One row of libjpeg's CMYK output as PIL gives it after `convert('RGB')` (or `'L'`). PIL reads
// every 4-component JPEG as Adobe-inverted CMYK ("CMYK;I": the stored values are 255 − ink, the
// polarity Photoshop writes, assumed whether or not an Adobe marker is there), then its cmyk2rgb
// gives R = (255 − K) − (C·(255 − K))/255 on the inverted values, which on the stored ones is
// k − ((255 − c)·k)/255; grey goes on through RGB with Pillow's rgb2l weights.
void cmykRowToPil(const u8* in, u8* out, int width, int channels) {
  for (int x = 0; x < width; x++, in += 4) {
    const int k = in[3];
    int rgb[3];
    for (int i = 0; i < 3; i++) rgb[i] = std::clamp(k - mulDiv255(255 - in[i], k), 0, 255);
    if (channels == 3) {
      for (int i = 0; i < 3; i++) *out++ = static_cast<u8>(rgb[i]);
    } else {
      *out++ = static_cast<u8>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
    }
  }
}

bool hasExif(jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::equal(m->data, m->data + 6, "Exif\0\0")) return true;
  }
  return false;
}

// The (H, W, C) pixels of a JPEG as libjpeg-turbo decodes it with its defaults (islow IDCT, fancy
// upsampling: PIL's and libvips' settings), malloc'd; null when the file is not one decoded here:
// not a JPEG, damaged, Adobe-transformed 3-component, with EXIF (orientation) or, for 1 or 3
// components, an ICC profile (both change the pixels: sharp's job), or colour when one channel is
// asked. CMYK and YCCK files (libjpeg turns YCCK into CMYK) are decoded here, converted as PIL
// converts them (cmykRowToPil), ignoring any ICC profile as PIL's convert does: libvips would apply
// the profile, or its fallback CMYK profile, and differ from PIL by tens of levels. No C++ object
// lives in this frame: libjpeg reports errors by longjmp.
u8* decodeJpegPixels(const u8* bytes, size_t length, int channels, int* width, int* height) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  u8* volatile out = nullptr;
  u8* volatile cmykRow = nullptr;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onJpegError;
  err.pub.emit_message = onJpegMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::free(out);
    std::free(cmykRow);
    return nullptr;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(length));
  for (int app : {1, 2, 14}) jpeg_save_markers(&cinfo, JPEG_APP0 + app, 16);
  jpeg_read_header(&cinfo, TRUE);
  const bool cmyk = (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) && cinfo.num_components == 4;
  const bool plain = !cinfo.saw_Adobe_marker && cinfo.marker_list == nullptr &&
                     (cinfo.jpeg_color_space == JCS_GRAYSCALE || cinfo.jpeg_color_space == JCS_YCbCr ||
                      cinfo.jpeg_color_space == JCS_RGB) &&
                     (channels == 3 || cinfo.jpeg_color_space == JCS_GRAYSCALE);
  if (!(plain || (cmyk && !hasExif(cinfo)))) longjmp(err.jump, 1);
  cinfo.out_color_space = cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t row = static_cast<size_t>(cinfo.output_width) * channels;
  out = static_cast<u8*>(std::malloc(row * cinfo.output_height));
  if (!out) longjmp(err.jump, 1);
  if (cmyk) {
    cmykRow = static_cast<u8*>(std::malloc(static_cast<size_t>(cinfo.output_width) * 4));
    if (!cmykRow) longjmp(err.jump, 1);
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    u8* dst = out + row * cinfo.output_scanline;
    JSAMPROW line = cmyk ? cmykRow : dst;
    jpeg_read_scanlines(&cinfo, &line, 1);
    if (cmyk) cmykRowToPil(cmykRow, dst, static_cast<int>(cinfo.output_width), channels);
  }
  jpeg_finish_decompress(&cinfo);
  *width = static_cast<int>(cinfo.output_width);
  *height = static_cast<int>(cinfo.output_height);
  jpeg_destroy_decompress(&cinfo);
  std::free(cmykRow);
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
