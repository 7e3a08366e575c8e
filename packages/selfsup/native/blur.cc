// Pillow's Gaussian blur (ImageFilter.GaussianBlur: extended box passes) on one (C, H, W) image, in
// place: pilBoxBlur, with the radius and weights that pil-blur.ts derives.
#include "common.h"

#include <algorithm>
#include <vector>

namespace selfsup {

namespace {

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

}  // namespace

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

}  // namespace selfsup
