// torchvision's colour ops (brightness, contrast, saturation, hue, greyscale) on one (C, H, W)
// image, in place: pilColor with Pillow's arithmetic (ImageEnhance blends, PIL's HSV,
// convert('L')), for the `pillow` backend; tvColor with libtorch's float32 arithmetic on uint8
// tensors, for the tensor backend. Both hues run four pixels at a time in hand-written vector
// lanes.
#include "common.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace selfsup {

// ------------------------------------------------------------------------------------ colour

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace selfsup
