// Resized crops of an (H, W, C) image into (C, outH, outW) bytes, in two passes (width, then
// height): resizedCropInto, the inner loops of Pillow's fixed-point resampling (the weights come
// from pil-resample.ts), for the `pillow` backend; aaResizedCropInto, libtorch's antialiased
// float32 resampling passes (the weights and the summation come from resample.ts), for the tensor
// backend, and aaHorizontal / aaVertical, those passes alone for `calibrate`.
#include "common.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

namespace selfsup {

// ------------------------------------------------------------------------------------ resampling

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace selfsup
