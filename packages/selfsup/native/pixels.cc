// Pixel kernels of the loader, in C++: JPEG decoding with libjpeg-turbo (what PIL and sharp decode
// with, so the same pixels), and for the `pillow` backends the inner loops of Pillow's fixed-point
// resampling (the weights come from pil-resample.ts), of torchvision's colour ops on PIL images
// (ImageEnhance blends, PIL's HSV) and of Pillow's box-blur Gaussian. The arithmetic is Pillow's
// own: float where Pillow declares float, double where its constants are double, int32 fixed
// point for resampling; `-ffp-contract=off` keeps the compiler from fusing multiply-adds, which
// would change roundings. The hot loops run in vector lanes (GCC's vectoriser with its dynamic cost
// model, hand-written lanes for the hue): each lane does the scalar IEEE arithmetic and nothing is
// reassociated (no -ffast-math), so vectorising changes no byte. Every function works in place or
// into a caller's buffer, on one image.
#include <napi.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace {

using u8 = uint8_t;

// Hot loops get an AVX2 clone next to the baseline x86-64 one, picked at load time (GCC's
// target_clones); other targets compile the portable code once.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

u8* bytesOf(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Uint8Array");
  return v.As<Napi::Uint8Array>().Data();
}

size_t lengthOf(const Napi::Value& v) { return v.As<Napi::Uint8Array>().ElementLength(); }

const int32_t* intsOf(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array");
  return v.As<Napi::Int32Array>().Data();
}

int intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

// ------------------------------------------------------------------------------------ JPEG

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

// ------------------------------------------------------------------------------------ resampling

constexpr int kBits = 22;  // Pillow's PRECISION_BITS

inline u8 clipFixed(int32_t sum) {
  int32_t v = sum >> kBits;
  return v < 0 ? 0 : v > 255 ? 255 : static_cast<u8>(v);
}

struct Taps {
  const int32_t* first;
  const int32_t* count;
  const int32_t* weights;
  int stride;
};

Taps tapsOf(const Napi::Value& v) {
  Napi::Object o = v.As<Napi::Object>();
  return {intsOf(o.Get("first"), "taps.first"), intsOf(o.Get("count"), "taps.count"),
          intsOf(o.Get("weights"), "taps.weights"), o.Get("stride").As<Napi::Number>().Int32Value()};
}

// The leading arguments of both crop kernels, (src, height, width, channels, top, left, h, w,
// outH, outW): an (H, W, C) image, a box inside it and a positive output size, checked here.
struct CropCall {
  const u8* src;
  int H, W, C, top, left, h, w, outH, outW;
  size_t rowStride() const { return static_cast<size_t>(W) * C; }
  size_t outBytes() const { return static_cast<size_t>(C) * outH * outW; }
};

CropCall cropCall(const Napi::CallbackInfo& info, const std::string& what) {
  CropCall k{bytesOf(info[0], (what + " src").c_str()), intArg(info, 1), intArg(info, 2), intArg(info, 3), intArg(info, 4),
             intArg(info, 5), intArg(info, 6), intArg(info, 7), intArg(info, 8), intArg(info, 9)};
  if (k.C < 1 || k.h < 1 || k.w < 1 || k.outH < 1 || k.outW < 1 || k.top < 0 || k.left < 0 || k.top + k.h > k.H ||
      k.left + k.w > k.W || lengthOf(info[0]) < static_cast<size_t>(k.H) * k.rowStride())
    throw Napi::RangeError::New(info.Env(), what + ": crop box or sizes out of range");
  return k;
}

// acc[j] += row[j] · weight: the vertical pass's inner loop, vectorised by GCC.
SIMD_CLONES void accumulateRow(const u8* __restrict row, int32_t weight, int32_t* __restrict acc, size_t n) {
  for (size_t j = 0; j < n; j++) acc[j] += row[j] * weight;
}

// resizedCropInto(src, height, width, channels, top, left, h, w, outH, outW, tx|null, ty|null, out, offset):
// Pillow's two passes (width, then height, an 8-bit image between them) over the crop of an
// (H, W, C) image, written as (C, outH, outW) bytes into `out` at `offset`. A null taps argument
// skips that pass (Pillow skips a pass whose size does not change).
Napi::Value ResizedCropInto(const Napi::CallbackInfo& info) {
  const CropCall k = cropCall(info, "resizedCropInto");
  const u8* src = k.src;
  const int C = k.C, top = k.top, left = k.left, h = k.h, w = k.w, outH = k.outH, outW = k.outW;
  const bool hasX = !info[10].IsNull(), hasY = !info[11].IsNull();
  u8* out = bytesOf(info[12], "resizedCropInto out");
  const size_t offset = static_cast<size_t>(info[13].As<Napi::Number>().Int64Value());
  if ((!hasX && w != outW) || (!hasY && h != outH) || lengthOf(info[12]) < offset + k.outBytes())
    throw Napi::RangeError::New(info.Env(), "resizedCropInto: sizes out of range");
  const size_t stride = k.rowStride();
  Taps ty{};
  int y0 = 0, y1 = h;
  if (hasY) {
    ty = tapsOf(info[11]);
    y0 = ty.first[0];
    y1 = ty.first[outH - 1] + ty.count[outH - 1];
  }
  const int rows = y1 - y0;
  const size_t rowLen = static_cast<size_t>(outW) * C;
  // Scratch reused across calls: one image at a time per thread (the loader's workers are threads).
  thread_local std::vector<u8> wideBuf;
  const u8* wide;
  size_t wideStride;
  if (!hasX) {
    wide = src + (static_cast<size_t>(top + y0)) * stride + static_cast<size_t>(left) * C;
    wideStride = stride;
  } else {
    Taps tx = tapsOf(info[10]);
    wideBuf.resize(static_cast<size_t>(rows) * rowLen);
    u8* wideData = wideBuf.data();
    for (int y = 0; y < rows; y++) {
      const u8* row = src + static_cast<size_t>(top + y0 + y) * stride + static_cast<size_t>(left) * C;
      u8* d = wideData + y * rowLen;
      for (int x = 0; x < outW; x++) {
        const u8* at = row + static_cast<size_t>(tx.first[x]) * C;
        const int32_t* k = tx.weights + static_cast<size_t>(x) * tx.stride;
        const int n = tx.count[x];
        if (C == 3) {
          int32_t s0 = 1 << (kBits - 1), s1 = s0, s2 = s0;
          for (int i = 0; i < n; i++) {
            s0 += at[3 * i] * k[i];
            s1 += at[3 * i + 1] * k[i];
            s2 += at[3 * i + 2] * k[i];
          }
          d[3 * x] = clipFixed(s0);
          d[3 * x + 1] = clipFixed(s1);
          d[3 * x + 2] = clipFixed(s2);
        } else {
          int32_t s0 = 1 << (kBits - 1);
          for (int i = 0; i < n; i++) s0 += at[i] * k[i];
          d[x] = clipFixed(s0);
        }
      }
    }
    wide = wideData;
    wideStride = rowLen;
  }
  const size_t plane = static_cast<size_t>(outH) * outW;
  u8* dst = out + offset;
  if (!hasY) {
    for (int y = 0; y < outH; y++)
      for (int x = 0; x < outW; x++)
        for (int c = 0; c < C; c++) dst[c * plane + static_cast<size_t>(y) * outW + x] = wide[y * wideStride + x * C + c];
    return info.Env().Undefined();
  }
  thread_local std::vector<int32_t> accBuf;
  accBuf.resize(rowLen);
  // A plain pointer: thread_local storage in a shared object costs a call on every access.
  int32_t* acc = accBuf.data();
  for (int y = 0; y < outH; y++) {
    std::fill(acc, acc + rowLen, 1 << (kBits - 1));
    const int32_t* k = ty.weights + static_cast<size_t>(y) * ty.stride;
    const u8* from = wide + static_cast<size_t>(ty.first[y] - y0) * wideStride;
    for (int i = 0; i < ty.count[y]; i++) accumulateRow(from + i * wideStride, k[i], acc, rowLen);
    for (int x = 0; x < outW; x++)
      for (int c = 0; c < C; c++) dst[c * plane + static_cast<size_t>(y) * outW + x] = clipFixed(acc[x * C + c]);
  }
  return info.Env().Undefined();
}

// ------------------------------------------------------------------------------------ libtorch's antialiased resampling

// The float32 passes of libtorch's `_upsample_{bilinear,bicubic}2d_aa` as resample.ts describes
// them: its weights (computed there), and the summation `calibrate` found the running libtorch to
// use — after the first product, groups of `chunk` separately rounded products, the remaining taps
// fused (one rounding of acc + x·w) or not. A u8 × float32 or float32 × float32 product is exact in
// double, so `float(double(acc) + double(x) · w)` is that single rounding, as the JS had it.

struct FloatTaps {
  const int32_t* min;
  const int32_t* size;
  const float* weights;
  int taps;
  int count;
};

struct Summation {
  int chunk;  // INT32_MAX: no groups
  bool fused;
};

FloatTaps floatTapsOf(const Napi::Value& v) {
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value w = o.Get("weights");
  if (!w.IsTypedArray() || w.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), "taps.weights: expected a Float32Array");
  Napi::Int32Array min = o.Get("min").As<Napi::Int32Array>();
  return {intsOf(min, "taps.min"), intsOf(o.Get("size"), "taps.size"), w.As<Napi::Float32Array>().Data(),
          o.Get("taps").As<Napi::Number>().Int32Value(), static_cast<int>(min.ElementLength())};
}

Summation summationOf(const Napi::Value& chunk, const Napi::Value& fused) {
  const double c = chunk.As<Napi::Number>().DoubleValue();
  return {c >= 2147483647.0 ? INT32_MAX : static_cast<int>(c), fused.As<Napi::Boolean>().Value()};
}

// The width pass of one row of bytes (samples `step` apart from `src`) into out[0 … count).
void aaHorizontal(const u8* src, int step, const FloatTaps& t, Summation s, float* out) {
  for (int x = 0; x < t.count; x++) {
    const int n = t.size[x];
    const float* w = t.weights + static_cast<size_t>(x) * t.taps;
    const u8* at = src + static_cast<size_t>(t.min[x]) * step;
    float acc = static_cast<float>(at[0]) * w[0];
    const int grouped = n - 1 < s.chunk ? 1 : 1 + ((n - 1) / s.chunk) * s.chunk;
    int j = 1;
    for (; j < grouped; j++) acc = acc + static_cast<float>(at[j * step]) * w[j];
    if (s.fused)
      for (; j < n; j++) acc = static_cast<float>(static_cast<double>(acc) + static_cast<double>(at[j * step]) * w[j]);
    else
      for (; j < n; j++) acc = acc + static_cast<float>(at[j * step]) * w[j];
    out[x] = acc;
  }
}

SIMD_CLONES void scaleRow(const float* __restrict in, float w, float* __restrict out, int n) {
  for (int x = 0; x < n; x++) out[x] = in[x] * w;
}

SIMD_CLONES void addProductRow(const float* __restrict in, float w, float* __restrict out, int n, bool fused) {
  if (fused)
    for (int x = 0; x < n; x++) out[x] = static_cast<float>(static_cast<double>(out[x]) + static_cast<double>(in[x]) * w);
  else
    for (int x = 0; x < n; x++) out[x] = out[x] + in[x] * w;
}

// The height pass over rows of `width` floats at src into out (count × width): each output row sums
// its source rows in order, so every output sums its taps in libtorch's order.
void aaVertical(const float* src, int width, const FloatTaps& t, Summation s, float* out) {
  for (int y = 0; y < t.count; y++) {
    const int n = t.size[y];
    const float* w = t.weights + static_cast<size_t>(y) * t.taps;
    const float* at = src + static_cast<size_t>(t.min[y]) * width;
    float* o = out + static_cast<size_t>(y) * width;
    scaleRow(at, w[0], o, width);
    const int grouped = 1 + ((n - 1) / s.chunk) * s.chunk;
    for (int j = 1; j < n; j++) addProductRow(at + static_cast<size_t>(j) * width, w[j], o, width, j >= grouped && s.fused);
  }
}

// aaHorizontal(bytes, offset, step, taps, chunk, fused, out, outOffset) and
// aaVertical(floats, offset, width, taps, chunk, fused, out): the passes alone, for `calibrate`.
Napi::Value AaHorizontal(const Napi::CallbackInfo& info) {
  const u8* src = bytesOf(info[0], "aaHorizontal src");
  const size_t at = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  const int step = intArg(info, 2);
  const FloatTaps t = floatTapsOf(info[3]);
  const Summation s = summationOf(info[4], info[5]);
  Napi::Float32Array out = info[6].As<Napi::Float32Array>();
  const size_t o = static_cast<size_t>(info[7].As<Napi::Number>().Int64Value());
  if (step < 1 || o + t.count > out.ElementLength() || s.chunk < 1)
    throw Napi::RangeError::New(info.Env(), "aaHorizontal: sizes out of range");
  for (int x = 0; x < t.count; x++)
    if (at + static_cast<size_t>(t.min[x] + t.size[x] - 1) * step >= lengthOf(info[0]) || t.size[x] < 1 || t.size[x] > t.taps)
      throw Napi::RangeError::New(info.Env(), "aaHorizontal: taps outside the row");
  aaHorizontal(src + at, step, t, s, out.Data() + o);
  return info.Env().Undefined();
}

Napi::Value AaVertical(const Napi::CallbackInfo& info) {
  Napi::Float32Array src = info[0].As<Napi::Float32Array>();
  const size_t base = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  const int width = intArg(info, 2);
  const FloatTaps t = floatTapsOf(info[3]);
  const Summation s = summationOf(info[4], info[5]);
  Napi::Float32Array out = info[6].As<Napi::Float32Array>();
  if (width < 1 || static_cast<size_t>(t.count) * width > out.ElementLength() || s.chunk < 1)
    throw Napi::RangeError::New(info.Env(), "aaVertical: sizes out of range");
  for (int y = 0; y < t.count; y++)
    if (base + static_cast<size_t>(t.min[y] + t.size[y]) * width > src.ElementLength() || t.size[y] < 1 || t.size[y] > t.taps)
      throw Napi::RangeError::New(info.Env(), "aaVertical: taps outside the plane");
  aaVertical(src.Data() + base, width, t, s, out.Data());
  return info.Env().Undefined();
}

// aaResizedCropInto(src, height, width, channels, top, left, h, w, outH, outW, tx|null, ty|null,
// chunkX, fusedX, chunkY, fusedY, clampFirst, out, offset): the crop of an (H, W, C) image resized
// as libtorch does, then torchvision's uint8 rounding (half to even, clamped; bicubic clamps the
// float first), written as (C, outH, outW) bytes into `out` at `offset`. A null taps argument skips
// that pass (libtorch skips an axis whose size does not change).
Napi::Value AaResizedCropInto(const Napi::CallbackInfo& info) {
  const CropCall k = cropCall(info, "aaResizedCropInto");
  const u8* src = k.src;
  const int C = k.C, top = k.top, left = k.left, h = k.h, w = k.w, outH = k.outH, outW = k.outW;
  const bool hasX = !info[10].IsNull(), hasY = !info[11].IsNull();
  const Summation sx = summationOf(info[12], info[13]), sy = summationOf(info[14], info[15]);
  const bool clampFirst = info[16].As<Napi::Boolean>().Value();
  u8* out = bytesOf(info[17], "aaResizedCropInto out");
  const size_t offset = static_cast<size_t>(info[18].As<Napi::Number>().Int64Value());
  if ((!hasX && w != outW) || (!hasY && h != outH) || sx.chunk < 1 || sy.chunk < 1 ||
      lengthOf(info[17]) < offset + k.outBytes())
    throw Napi::RangeError::New(info.Env(), "aaResizedCropInto: sizes out of range");
  FloatTaps tx{}, ty{};
  if (hasX) tx = floatTapsOf(info[10]);
  if (hasY) ty = floatTapsOf(info[11]);
  if ((hasX && tx.count != outW) || (hasY && ty.count != outH))
    throw Napi::RangeError::New(info.Env(), "aaResizedCropInto: taps do not match the output size");
  for (int x = 0; hasX && x < outW; x++)
    if (tx.min[x] < 0 || tx.size[x] < 1 || tx.size[x] > tx.taps || tx.min[x] + tx.size[x] > w)
      throw Napi::RangeError::New(info.Env(), "aaResizedCropInto: taps outside the crop");
  for (int y = 0; hasY && y < outH; y++)
    if (ty.min[y] < 0 || ty.size[y] < 1 || ty.size[y] > ty.taps || ty.min[y] + ty.size[y] > h)
      throw Napi::RangeError::New(info.Env(), "aaResizedCropInto: taps outside the crop");
  const size_t rowStride = k.rowStride();
  thread_local std::vector<float> wideBuf, tallBuf;
  wideBuf.resize(static_cast<size_t>(h) * outW);
  tallBuf.resize(static_cast<size_t>(outH) * outW);
  float* wide = wideBuf.data();
  float* tall = tallBuf.data();
  for (int c = 0; c < C; c++) {
    for (int y = 0; y < h; y++) {
      const u8* row = src + static_cast<size_t>(top + y) * rowStride + static_cast<size_t>(left) * C + c;
      float* o = wide + static_cast<size_t>(y) * outW;
      if (hasX)
        aaHorizontal(row, C, tx, sx, o);
      else
        for (int x = 0; x < outW; x++) o[x] = row[static_cast<size_t>(x) * C];
    }
    const float* plane = wide;
    if (hasY) {
      aaVertical(wide, outW, ty, sy, tall);
      plane = tall;
    }
    u8* dst = out + offset + static_cast<size_t>(c) * outH * outW;
    for (size_t i = 0, n = static_cast<size_t>(outH) * outW; i < n; i++) {
      double v = plane[i];
      if (clampFirst) v = std::min(std::max(v, 0.0), 255.0);
      // Python's / PyTorch's round, half to even: nearbyint in the default rounding mode.
      dst[i] = static_cast<u8>(std::min(std::max(std::nearbyint(v), 0.0), 255.0));
    }
  }
  return info.Env().Undefined();
}

// ------------------------------------------------------------------------------------ colour

// Pillow's ImagingBlend of a byte `a` (the degenerate image's) toward `b`: float arithmetic,
// clipped, truncated.
inline u8 blendByte(int a, int b, float alpha) {
  float v = static_cast<float>(a) + alpha * static_cast<float>(b - a);
  return v <= 0.0f ? 0 : v >= 255.0f ? 255 : static_cast<u8>(v);
}

// ITU-R 601-2 luma in 16-bit fixed point, rounded (Convert.c's L24).
inline u8 luma(int r, int g, int b) { return static_cast<u8>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16); }

struct Planes {
  u8* data;
  int c, h, w;
  size_t n() const { return static_cast<size_t>(h) * w; }
};

SIMD_CLONES void lumaInto(const u8* __restrict r, const u8* __restrict g, const u8* __restrict b, u8* __restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = luma(r[i], g[i], b[i]);
}

// The image's L (luma) plane: the image itself when it has one channel, else a per-thread scratch
// buffer valid until the next call.
const u8* greyOf(const Planes& p) {
  const size_t n = p.n();
  if (p.c == 1) return p.data;
  thread_local std::vector<u8> scratch;
  scratch.resize(n);
  u8* g = scratch.data();
  lumaInto(p.data, p.data + n, p.data + 2 * n, g, n);
  return g;
}

void blendConstant(const Planes& p, int constant, float alpha) {
  u8 lut[256];
  for (int x = 0; x < 256; x++) lut[x] = blendByte(constant, x, alpha);
  const size_t end = p.n() * p.c;
  for (size_t i = 0; i < end; i++) p.data[i] = lut[p.data[i]];
}

void brightness(const Planes& p, float alpha) { blendConstant(p, 0, alpha); }

void contrast(const Planes& p, float alpha) {
  const u8* g = greyOf(p);
  const size_t n = p.n();
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += g[i];
  // ImageStat's mean (a double), rounded as ImageEnhance.Contrast does: int(mean + 0.5).
  blendConstant(p, static_cast<int>(static_cast<double>(sum) / static_cast<double>(n) + 0.5), alpha);
}

SIMD_CLONES void blendPlane(const u8* __restrict grey, u8* __restrict d, size_t n, float alpha) {
  for (size_t i = 0; i < n; i++) d[i] = blendByte(grey[i], d[i], alpha);
}

void saturation(const Planes& p, float alpha) {
  if (p.c != 3) return;
  const u8* g = greyOf(p);
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) blendPlane(g, p.data + k * n, n, alpha);
}

void greyscale(const Planes& p) {
  if (p.c != 3) return;
  const u8* g = greyOf(p);
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) std::copy(g, g + n, p.data + k * n);  // g is scratch, not a plane
}

inline u8 clip8(double v) { return v <= 0 ? 0 : v >= 255 ? 255 : static_cast<u8>(v); }

// C's round() (half away from zero) for a non-negative double, without a libm call.
inline double roundUp(double x) {
  const double t = static_cast<double>(static_cast<int64_t>(x));
  return x - t >= 0.5 ? t + 1 : t;
}

// Tables for the hue op, filled once: the float quotients a / b of bytes (rgb2hsv's divisions),
// and hsv2rgb's per-H sector and remainder and per-S fraction.
struct HueTables {
  std::vector<float> div;  // div[a * 256 + b] = float(a) / float(b)
  int sector[256];
  float frac[256], fs[256];
  HueTables() : div(256 * 256) {
    for (int a = 0; a < 256; a++)
      for (int b = 1; b < 256; b++) div[a * 256 + b] = static_cast<float>(a) / static_cast<float>(b);
    for (int x = 0; x < 256; x++) {
      const double h6 = static_cast<float>(x) * 6.0 / 255.0;
      const int whole = static_cast<int>(h6);  // floor: h6 >= 0
      frac[x] = static_cast<float>(h6 - static_cast<float>(whole));
      sector[x] = whole % 6;  // H = 255 gives 6: sector 0
      fs[x] = static_cast<float>(static_cast<float>(x) / 255.0);
    }
  }
};

const HueTables& hueTables() {
  static const HueTables t;
  return t;
}

// One pixel of torchvision's PIL adjust_hue: Convert.c's rgb2hsv, H + shift (mod 256), hsv2rgb.
// The reference for hueLanes, which computes the same in vector lanes.
inline void huePixel(u8& R, u8& G, u8& B, int shift, const HueTables& T) {
  const float* div = T.div.data();
  const int r = R, g = G, b = B;
  const int maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
  if (maxc == minc) return;  // S = 0: grey is unchanged by any hue
  const int cr = maxc - minc;
  const float s = div[cr * 256 + maxc];
  const float rc = div[(maxc - r) * 256 + cr];
  const float gc = div[(maxc - g) * 256 + cr];
  const float bc = div[(maxc - b) * 256 + cr];
  float hh;
  if (r == maxc)
    hh = bc - gc;
  else if (g == maxc)
    hh = static_cast<float>(2.0 + rc - bc);
  else
    hh = static_cast<float>(4.0 + gc - rc);
  // fmod(x, 1) of x in (0, 2): x − floor(x), exact.
  const double t6 = hh / 6.0 + 1.0;
  hh = static_cast<float>(t6 >= 1.0 ? t6 - 1.0 : t6);
  const int uh = (std::clamp(static_cast<int>(hh * 255.0), 0, 255) + shift) & 255;
  const int us = std::clamp(static_cast<int>(s * 255.0), 0, 255);
  const int v = maxc;
  int outR = v, outG = v, outB = v;
  if (us != 0) {
    const float f = T.frac[uh], fs = T.fs[us];
    const u8 up = clip8(roundUp(static_cast<float>(v) * (1.0 - fs)));
    const u8 uq = clip8(roundUp(static_cast<float>(v) * (1.0 - fs * f)));
    const u8 ut = clip8(roundUp(static_cast<float>(v) * (1.0 - fs * (1.0 - f))));
    switch (T.sector[uh]) {
      case 0: outG = ut; outB = up; break;
      case 1: outR = uq; outB = up; break;
      case 2: outR = up; outB = ut; break;
      case 3: outR = up; outG = uq; break;
      case 4: outR = ut; outG = up; break;
      default: outG = up; outB = uq;
    }
  }
  R = static_cast<u8>(outR);
  G = static_cast<u8>(outG);
  B = static_cast<u8>(outB);
}

// Four lanes of each type: doubles fill one AVX2 register (two SSE registers in the baseline
// clone). Every lane operation is the scalar one (IEEE division, no contraction), so the lanes
// compute exactly what huePixel computes; masks are only ever used at their own lane width.
constexpr int kLanes = 4;
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x4 __attribute__((vector_size(32)));
typedef u8 u8x4 __attribute__((vector_size(4)));

[[gnu::always_inline]] inline i32x4 loadBytes(const u8* p) {
  u8x4 b;
  std::memcpy(&b, p, sizeof b);
  return __builtin_convertvector(b, i32x4);
}

[[gnu::always_inline]] inline void storeBytes(u8* p, i32x4 v) {
  const u8x4 b = __builtin_convertvector(v, u8x4);
  std::memcpy(p, &b, sizeof b);
}

[[gnu::always_inline]] inline f64x4 toF64(i32x4 v) { return __builtin_convertvector(v, f64x4); }
[[gnu::always_inline]] inline f64x4 toF64(f32x4 v) { return __builtin_convertvector(v, f64x4); }
[[gnu::always_inline]] inline f32x4 toF32(i32x4 v) { return __builtin_convertvector(v, f32x4); }
[[gnu::always_inline]] inline f32x4 toF32(f64x4 v) { return __builtin_convertvector(v, f32x4); }
[[gnu::always_inline]] inline i32x4 truncI32(f64x4 v) { return __builtin_convertvector(v, i32x4); }
[[gnu::always_inline]] inline i32x4 clampByte(i32x4 v) {
  const i32x4 zero{}, top = zero + 255;
  return v < zero ? zero : v > top ? top : v;
}

// clip8(roundUp(x)) of x ≥ 0 in lanes: C's round() half away from zero, then clipped to a byte.
[[gnu::always_inline]] inline i32x4 roundClip(f64x4 x) {
  const f64x4 zero{}, top = zero + 255.0;
  const f64x4 big = x >= top ? top : x;  // rounds to 255 either way; keeps the int32 conversion in range
  const f64x4 t = toF64(truncI32(big));
  return truncI32(big - t >= zero + 0.5 ? t + 1.0 : t);
}

// huePixel on 4 consecutive pixels of the planes R, G, B. Of rgb2hsv's three quotients
// (maxc − x) / cr, the max channel's is 0 and the min channel's 1, exactly: only the middle
// channel's needs a division. hsv2rgb's per-H and per-S factors come from HueTables.
[[gnu::always_inline]] inline void hueLanes(u8* R, u8* G, u8* B, int shift, const HueTables& T) {
  const i32x4 r = loadBytes(R), g = loadBytes(G), b = loadBytes(B);
  const i32x4 maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const i32x4 minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const i32x4 one = i32x4{} + 1;
  const i32x4 grey = maxc == minc;
  // Grey lanes divide by 1 instead of 0; their results are discarded.
  const f32x4 crf = toF32(grey ? one : maxc - minc);
  const f32x4 s = crf / toF32(grey ? one : maxc);
  const f32x4 q = toF32(maxc - (r + g + b - maxc - minc)) / crf;
  const f32x4 zeroF{}, oneF = zeroF + 1.0f;
  const f32x4 rc = r == maxc ? zeroF : r == minc ? oneF : q;
  const f32x4 gc = g == maxc ? zeroF : g == minc ? oneF : q;
  const f32x4 bc = b == maxc ? zeroF : b == minc ? oneF : q;
  const f32x4 hr = bc - gc;
  const f32x4 hg = toF32(2.0 + toF64(rc) - toF64(bc));
  const f32x4 hb = toF32(4.0 + toF64(gc) - toF64(rc));
  const f32x4 hh0 = r == maxc ? hr : (g == maxc ? hg : hb);
  const f64x4 t6 = toF64(hh0) / 6.0 + 1.0;
  const f32x4 hh = toF32(t6 >= f64x4{} + 1.0 ? t6 - 1.0 : t6);
  const i32x4 uh = (clampByte(truncI32(toF64(hh) * 255.0)) + shift) & 255;
  const i32x4 us = clampByte(truncI32(toF64(s) * 255.0));
  const f32x4 f = {T.frac[uh[0]], T.frac[uh[1]], T.frac[uh[2]], T.frac[uh[3]]};
  const f32x4 fs = {T.fs[us[0]], T.fs[us[1]], T.fs[us[2]], T.fs[us[3]]};
  const i32x4 sector = {T.sector[uh[0]], T.sector[uh[1]], T.sector[uh[2]], T.sector[uh[3]]};
  const f64x4 v = toF64(maxc);
  const i32x4 p = roundClip(v * (1.0 - toF64(fs)));
  const i32x4 qq = roundClip(v * (1.0 - toF64(fs * f)));
  const i32x4 t = roundClip(v * (1.0 - toF64(fs) * (1.0 - toF64(f))));
  const i32x4 keep = grey | (us == 0);
  const i32x4 outR = (sector == 0) | (sector == 5) ? maxc : sector == 1 ? qq : sector == 4 ? t : p;
  const i32x4 outG = (sector == 1) | (sector == 2) ? maxc : sector == 0 ? t : sector == 3 ? qq : p;
  const i32x4 outB = (sector == 3) | (sector == 4) ? maxc : sector == 2 ? t : sector == 5 ? qq : p;
  storeBytes(R, keep ? maxc : outR);
  storeBytes(G, keep ? maxc : outG);
  storeBytes(B, keep ? maxc : outB);
}

// torchvision's PIL adjust_hue on one (3, H, W) image: four pixels at a time, the rest one by one.
SIMD_CLONES void hue(const Planes& p, double factor) {
  if (p.c != 3) return;
  const HueTables& T = hueTables();
  // numpy's uint8 of a negative float wraps (the float truncated to an integer first).
  const int shift = ((static_cast<int>(factor * 255) % 256) + 256) % 256;
  const size_t n = p.n();
  u8 *R = p.data, *G = p.data + n, *B = p.data + 2 * n;
  size_t i = 0;
  // Two independent groups per iteration: their long division and conversion chains overlap.
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    hueLanes(R + i, G + i, B + i, shift, T);
    hueLanes(R + i + kLanes, G + i + kLanes, B + i + kLanes, shift, T);
  }
  for (; i < n; i++) huePixel(R[i], G[i], B[i], shift, T);
}

// The arguments of pilColor and tvColor: (op, data, offset, c, h, w, factor), an op on one
// (C, H, W) image at `offset` in `data`.
struct ColorCall {
  int op;
  Planes p;
  double factor;
};

ColorCall colorCall(const Napi::CallbackInfo& info, const std::string& what) {
  u8* data = bytesOf(info[1], (what + " data").c_str());
  const size_t offset = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  Planes p{data + offset, intArg(info, 3), intArg(info, 4), intArg(info, 5)};
  if ((p.c != 1 && p.c != 3) || p.h < 1 || p.w < 1 || lengthOf(info[1]) < offset + p.n() * p.c)
    throw Napi::RangeError::New(info.Env(), what + ": sizes out of range");
  return {intArg(info, 0), p, info[6].As<Napi::Number>().DoubleValue()};
}

// pilColor(op, data, offset, c, h, w, factor): op 0 brightness, 1 contrast, 2 saturation, 3 hue,
// 4 greyscale, in place.
Napi::Value PilColor(const Napi::CallbackInfo& info) {
  const auto [op, p, factor] = colorCall(info, "pilColor");
  switch (op) {
    case 0: brightness(p, static_cast<float>(factor)); break;
    case 1: contrast(p, static_cast<float>(factor)); break;
    case 2: saturation(p, static_cast<float>(factor)); break;
    case 3: hue(p, factor); break;
    case 4: greyscale(p); break;
    default: throw Napi::RangeError::New(info.Env(), "pilColor: unknown op");
  }
  return info.Env().Undefined();
}

// ------------------------------------------------------------------------------------ tensor-backend colour

// torchvision's colour ops on uint8 tensors (functional.ts's libtorch sequences), the default
// backend's, on one (C, H, W) image: every libtorch elementwise float32 op is one correctly rounded
// IEEE operation, so the same sequence of C++ float operations gives the same numbers (x86-64 float
// arithmetic has no excess precision, and contraction is off). bytes.ts documents each formula.

struct TvTables {
  float greyR[256], greyG[256], greyB[256], unit[256];
  TvTables() {
    for (int x = 0; x < 256; x++) {
      greyR[x] = static_cast<float>(x) * 0.2989f;
      greyG[x] = static_cast<float>(x) * 0.587f;
      greyB[x] = static_cast<float>(x) * 0.114f;
      unit[x] = static_cast<float>(x / 255.0);
    }
  }
};

const TvTables& tvTables() {
  static const TvTables t;
  return t;
}

// float32 → uint8 as `.to(uint8)` after a clamp to [0, 255]: truncation.
inline u8 tvByte(float v) { return static_cast<u8>(std::min(std::max(v, 0.0f), 255.0f)); }

// rgb_to_grayscale of uint8: (0.2989 R + 0.587 G) + 0.114 B in float32, truncated; per-thread scratch.
const u8* tvGreyOf(const Planes& p) {
  const TvTables& T = tvTables();
  const size_t n = p.n();
  thread_local std::vector<u8> scratch;
  scratch.resize(n);
  u8* g = scratch.data();
  const u8 *r = p.data, *gr = p.data + n, *b = p.data + 2 * n;
  for (size_t i = 0; i < n; i++) g[i] = static_cast<u8>((T.greyR[r[i]] + T.greyG[gr[i]]) + T.greyB[b[i]]);
  return g;
}

// blend(img, other, ratio) with a constant `other`: img·r + other·(1 − r), clamped, truncated.
void tvBlendConstant(const Planes& p, double ratio, double other) {
  const float o = static_cast<float>(other * static_cast<double>(static_cast<float>(1.0 - ratio)));
  const float r = static_cast<float>(ratio);
  u8 lut[256];
  for (int x = 0; x < 256; x++) lut[x] = tvByte(static_cast<float>(x) * r + o);
  const size_t end = p.n() * p.c;
  for (size_t i = 0; i < end; i++) p.data[i] = lut[p.data[i]];
}

void tvContrast(const Planes& p, double factor) {
  const size_t n = p.n();
  const u8* g = p.c == 3 ? tvGreyOf(p) : p.data;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += g[i];
  // The mean of a uint8 image: a sum of integers below 2^24 is exact in any order.
  tvBlendConstant(p, factor, static_cast<float>(static_cast<double>(sum) / static_cast<double>(n)));
}

void tvSaturation(const Planes& p, double factor) {
  if (p.c != 3) return;
  const u8* g = tvGreyOf(p);
  const float f = static_cast<float>(factor), m = static_cast<float>(1.0 - factor);
  float own[256], mix[256];
  for (int x = 0; x < 256; x++) {
    own[x] = static_cast<float>(x) * f;
    mix[x] = static_cast<float>(x) * m;
  }
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) {
    u8* d = p.data + k * n;
    for (size_t i = 0; i < n; i++) d[i] = tvByte(own[d[i]] + mix[g[i]]);
  }
}

void tvGreyscale(const Planes& p) {
  if (p.c != 3) return;
  const u8* g = tvGreyOf(p);
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) std::copy(g, g + n, p.data + k * n);
}

// adjust_hue on one pixel: RGB → HSV, H + F (a fraction of a turn) modulo 1, back, ×255 truncated.
// The reference for tvHueLanes.
inline void tvHuePixel(u8& R, u8& G, u8& B, float F, const TvTables& T) {
  const float r = T.unit[R], g = T.unit[G], b = T.unit[B];
  const float maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
  const bool eqc = maxc == minc;
  const float cr = maxc - minc;
  const float s = eqc ? cr : cr / maxc;
  const float crDiv = eqc ? 1.0f : cr;
  const float rc = (maxc - r) / crDiv, gc = (maxc - g) / crDiv, bc = (maxc - b) / crDiv;
  // Exactly one of torchvision's three masked terms is non-zero; the others add ±0.
  float hsum;
  if (maxc == r)
    hsum = bc - gc;
  else if (maxc == g)
    hsum = (rc - bc) + 2.0f;
  else
    hsum = (gc - rc) + 4.0f;
  // fmod(x, 1) of a positive x is x − ⌊x⌋, exact; remainder adds 1 (rounded) when negative.
  const float h0 = hsum / 6.0f + 1.0f;
  const float shifted = (h0 - std::trunc(h0)) + F;
  float hh = shifted - std::trunc(shifted);
  if (hh < 0.0f) hh = hh + 1.0f;
  const float h6 = hh * 6.0f;
  const float whole = std::floor(h6);
  const float f = h6 - whole;
  const float v = maxc;
  const float pp = std::min(std::max(v * (1.0f - s), 0.0f), 1.0f);
  const float q = std::min(std::max(v * (1.0f - s * f), 0.0f), 1.0f);
  const float t = std::min(std::max(v * (1.0f - s * (1.0f - f)), 0.0f), 1.0f);
  float oR = v, oG = t, oB = pp;
  switch (((static_cast<int>(whole) % 6) + 6) % 6) {
    case 1: oR = q; oG = v; break;
    case 2: oR = pp; oG = v; oB = t; break;
    case 3: oR = pp; oG = q; oB = v; break;
    case 4: oR = t; oG = pp; oB = v; break;
    case 5: oG = pp; oB = q; break;
    default: break;
  }
  R = static_cast<u8>(oR * 255.0f);
  G = static_cast<u8>(oG * 255.0f);
  B = static_cast<u8>(oB * 255.0f);
}

[[gnu::always_inline]] inline i32x4 truncF(f32x4 v) { return __builtin_convertvector(v, i32x4); }

// tvHuePixel on 4 consecutive pixels, all in float32 lanes. x / 255.0 rounded to float equals the
// float division x / 255.0f (double rounding is innocuous for one +, −, ×, ÷ of floats). Of the
// quotients (maxc − x) / cr, the max channel's is 0 and the min channel's exactly 1: only a channel
// strictly between them needs its division.
[[gnu::always_inline]] inline void tvHueLanes(u8* R, u8* G, u8* B, float F) {
  const f32x4 zero{}, one = zero + 1.0f;
  const f32x4 r = toF32(loadBytes(R)) / 255.0f, g = toF32(loadBytes(G)) / 255.0f, b = toF32(loadBytes(B)) / 255.0f;
  const f32x4 maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const f32x4 minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const i32x4 eqc = maxc == minc;
  const f32x4 cr = maxc - minc;
  const f32x4 s = eqc ? cr : cr / (eqc ? one : maxc);
  const f32x4 crDiv = eqc ? one : cr;
  const i32x4 rMax = r == maxc, gMax = g == maxc, bMax = b == maxc;
  const i32x4 rMin = r == minc, gMin = g == minc, bMin = b == minc;
  const f32x4 mid = (rMax | rMin) == 0 ? r : (gMax | gMin) == 0 ? g : b;
  const f32x4 qm = (maxc - mid) / crDiv;
  const f32x4 rc = rMax ? zero : rMin ? one : qm;
  const f32x4 gc = gMax ? zero : gMin ? one : qm;
  const f32x4 bc = bMax ? zero : bMin ? one : qm;
  const f32x4 hsum = rMax ? bc - gc : gMax ? (rc - bc) + 2.0f : (gc - rc) + 4.0f;
  const f32x4 h0 = hsum / 6.0f + 1.0f;
  const f32x4 shifted = (h0 - toF32(truncF(h0))) + F;
  const f32x4 frac = shifted - toF32(truncF(shifted));
  const f32x4 hh = frac < zero ? frac + 1.0f : frac;
  const f32x4 h6 = hh * 6.0f;
  const i32x4 whole = truncF(h6);  // h6 ≥ 0: floor
  const f32x4 f = h6 - toF32(whole);
  const i32x4 sector = whole == 6 ? i32x4{} : whole;
  const f32x4 v = maxc;
  auto unit = [&](f32x4 x) { return x < zero ? zero : x > one ? one : x; };
  const f32x4 pp = unit(v * (1.0f - s));
  const f32x4 q = unit(v * (1.0f - s * f));
  const f32x4 t = unit(v * (1.0f - s * (1.0f - f)));
  const f32x4 oR = (sector == 0) | (sector == 5) ? v : sector == 1 ? q : sector == 4 ? t : pp;
  const f32x4 oG = (sector == 1) | (sector == 2) ? v : sector == 3 ? q : sector == 0 ? t : pp;
  const f32x4 oB = (sector == 3) | (sector == 4) ? v : sector == 2 ? t : sector == 5 ? q : pp;
  storeBytes(R, truncF(oR * 255.0f));
  storeBytes(G, truncF(oG * 255.0f));
  storeBytes(B, truncF(oB * 255.0f));
}

// adjust_hue on one (3, H, W) image: four pixels at a time, the rest one by one.
SIMD_CLONES void tvHue(const Planes& p, double factor) {
  if (p.c != 3) return;
  const TvTables& T = tvTables();
  const float F = static_cast<float>(factor);
  const size_t n = p.n();
  u8 *R = p.data, *G = p.data + n, *B = p.data + 2 * n;
  size_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    tvHueLanes(R + i, G + i, B + i, F);
    tvHueLanes(R + i + kLanes, G + i + kLanes, B + i + kLanes, F);
  }
  for (; i < n; i++) tvHuePixel(R[i], G[i], B[i], F, T);
}

// tvColor(op, data, offset, c, h, w, factor): pilColor's ops with torchvision's tensor arithmetic.
Napi::Value TvColor(const Napi::CallbackInfo& info) {
  const auto [op, p, factor] = colorCall(info, "tvColor");
  switch (op) {
    case 0: tvBlendConstant(p, factor, 0.0); break;
    case 1: tvContrast(p, factor); break;
    case 2: tvSaturation(p, factor); break;
    case 3: tvHue(p, factor); break;
    case 4: tvGreyscale(p); break;
    default: throw Napi::RangeError::New(info.Env(), "tvColor: unknown op");
  }
  return info.Env().Undefined();
}

// ------------------------------------------------------------------------------------ blur

// Pillow blurs each row with three extended box passes, transposes, blurs the rows again and
// transposes back. The same passes run here down the columns of a plane, all columns at once in
// vector lanes: a row pass is a column pass on the transposed plane. Each pass maps `rows` rows of
// `lanes` bytes to out[x] = (Σ_{|i−x|≤r} in[i]·ww + (in[x−r−1] + in[x+r+1])·fw + 2^23) >> 24, rows
// past either edge reading the edge row, the window sum sliding by one row, in Pillow's wrapping
// uint32 arithmetic.
// A plain loop over the lanes: GCC vectorises it (u8 → u32 widening, eight lanes in AVX2).
SIMD_CLONES void boxPassRows(const u8* __restrict in, u8* __restrict out, int rows, int lanes, int r, uint32_t ww,
                             uint32_t fw, uint32_t* __restrict acc) {
  auto row = [&](int i) { return in + static_cast<size_t>(std::clamp(i, 0, rows - 1)) * lanes; };
  std::fill(acc, acc + lanes, 0u);
  for (int i = -r - 1; i < r; i++) {
    const u8* s = row(i);
    for (int l = 0; l < lanes; l++) acc[l] += s[l];
  }
  for (int x = 0; x < rows; x++) {
    const u8 *__restrict lo = row(x - r - 1), *__restrict hi = row(x + r), *__restrict hi2 = row(x + r + 1);
    u8* __restrict o = out + static_cast<size_t>(x) * lanes;
    for (int l = 0; l < lanes; l++) {
      const uint32_t leave = lo[l];
      const uint32_t a = acc[l] + (static_cast<uint32_t>(hi[l]) - leave);
      acc[l] = a;
      o[l] = static_cast<u8>((a * ww + (leave + hi2[l]) * fw + (1u << 23)) >> 24);
    }
  }
}

// dst (w × h) = the transpose of src (h × w), in tiles that stay in cache.
void transposePlane(const u8* __restrict src, u8* __restrict dst, int h, int w) {
  constexpr int kTile = 16;
  for (int by = 0; by < h; by += kTile)
    for (int bx = 0; bx < w; bx += kTile) {
      const int ey = std::min(by + kTile, h), ex = std::min(bx + kTile, w);
      for (int y = by; y < ey; y++)
        for (int x = bx; x < ex; x++) dst[static_cast<size_t>(x) * h + y] = src[static_cast<size_t>(y) * w + x];
    }
}

// pilBoxBlur(data, offset, c, h, w, r, ww, fw): Pillow's GaussianBlur passes with the box radius
// r and fixed-point weights ww (inner) and fw (the two outer pixels) that pil-blur.ts derives, in
// place on one (C, H, W) image.
Napi::Value PilBoxBlur(const Napi::CallbackInfo& info) {
  u8* data = bytesOf(info[0], "pilBoxBlur data");
  const size_t offset = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  const int c = intArg(info, 2), h = intArg(info, 3), w = intArg(info, 4), r = intArg(info, 5);
  const uint32_t ww = info[6].As<Napi::Number>().Uint32Value(), fw = info[7].As<Napi::Number>().Uint32Value();
  const size_t plane = static_cast<size_t>(h) * w;
  if (c < 1 || h < 1 || w < 1 || r < 0 || lengthOf(info[0]) < offset + plane * c)
    throw Napi::RangeError::New(info.Env(), "pilBoxBlur: sizes out of range");
  thread_local std::vector<u8> one, two;
  thread_local std::vector<uint32_t> acc;
  one.resize(plane);
  two.resize(plane);
  acc.resize(std::max(h, w));
  u8 *s1 = one.data(), *s2 = two.data();
  for (int k = 0; k < c; k++) {
    u8* base = data + offset + k * plane;
    transposePlane(base, s1, h, w);  // rows of the image are now columns
    boxPassRows(s1, s2, w, h, r, ww, fw, acc.data());
    boxPassRows(s2, s1, w, h, r, ww, fw, acc.data());
    boxPassRows(s1, s2, w, h, r, ww, fw, acc.data());
    transposePlane(s2, s1, w, h);
    boxPassRows(s1, s2, h, w, r, ww, fw, acc.data());
    boxPassRows(s2, s1, h, w, r, ww, fw, acc.data());
    boxPassRows(s1, base, h, w, r, ww, fw, acc.data());
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeJpeg", Napi::Function::New(env, DecodeJpeg));
  exports.Set("resizedCropInto", Napi::Function::New(env, ResizedCropInto));
  exports.Set("aaResizedCropInto", Napi::Function::New(env, AaResizedCropInto));
  exports.Set("aaHorizontal", Napi::Function::New(env, AaHorizontal));
  exports.Set("aaVertical", Napi::Function::New(env, AaVertical));
  exports.Set("pilColor", Napi::Function::New(env, PilColor));
  exports.Set("tvColor", Napi::Function::New(env, TvColor));
  exports.Set("pilBoxBlur", Napi::Function::New(env, PilBoxBlur));
  return exports;
}

}  // namespace

NODE_API_MODULE(selfsup_pixels, Init)
