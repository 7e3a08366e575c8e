// Pixel kernels of the loader, in C++: JPEG decoding with libjpeg-turbo (what PIL and sharp decode
// with, so the same pixels), and for the `pillow` backends the inner loops of Pillow's fixed-point
// resampling (the weights come from pil-resample.ts), of torchvision's colour ops on PIL images
// (ImageEnhance blends, PIL's HSV) and of Pillow's box-blur Gaussian. The arithmetic is Pillow's
// own: float where Pillow declares float, double where its constants are double, int32 fixed
// point for resampling; `-ffp-contract=off` keeps the compiler from fusing multiply-adds, which
// would change roundings. Every function works in place or into a caller's buffer, on one image.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <jpeglib.h>

namespace {

using u8 = uint8_t;

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

// resizedCropInto(src, height, width, channels, top, left, h, w, outH, outW, tx|null, ty|null, out, offset):
// Pillow's two passes (width, then height, an 8-bit image between them) over the crop of an
// (H, W, C) image, written as (C, outH, outW) bytes into `out` at `offset`. A null taps argument
// skips that pass (Pillow skips a pass whose size does not change).
Napi::Value ResizedCropInto(const Napi::CallbackInfo& info) {
  const u8* src = bytesOf(info[0], "resizedCropInto src");
  const int H = intArg(info, 1), W = intArg(info, 2), C = intArg(info, 3);
  const int top = intArg(info, 4), left = intArg(info, 5), h = intArg(info, 6), w = intArg(info, 7);
  const int outH = intArg(info, 8), outW = intArg(info, 9);
  const bool hasX = !info[10].IsNull(), hasY = !info[11].IsNull();
  u8* out = bytesOf(info[12], "resizedCropInto out");
  const size_t offset = static_cast<size_t>(info[13].As<Napi::Number>().Int64Value());
  if (lengthOf(info[0]) < static_cast<size_t>(H) * W * C || top < 0 || left < 0 || top + h > H || left + w > W ||
      (!hasX && w != outW) || (!hasY && h != outH) || lengthOf(info[12]) < offset + static_cast<size_t>(C) * outH * outW)
    throw Napi::RangeError::New(info.Env(), "resizedCropInto: sizes out of range");
  const size_t stride = static_cast<size_t>(W) * C;
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
    for (int y = 0; y < rows; y++) {
      const u8* row = src + static_cast<size_t>(top + y0 + y) * stride + static_cast<size_t>(left) * C;
      u8* d = wideBuf.data() + y * rowLen;
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
    wide = wideBuf.data();
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
  thread_local std::vector<int32_t> acc;
  acc.resize(rowLen);
  for (int y = 0; y < outH; y++) {
    std::fill(acc.begin(), acc.end(), 1 << (kBits - 1));
    const int32_t* k = ty.weights + static_cast<size_t>(y) * ty.stride;
    const u8* from = wide + static_cast<size_t>(ty.first[y] - y0) * wideStride;
    for (int i = 0; i < ty.count[y]; i++) {
      const u8* r = from + i * wideStride;
      const int32_t wt = k[i];
      for (size_t j = 0; j < rowLen; j++) acc[j] += r[j] * wt;
    }
    for (int x = 0; x < outW; x++)
      for (int c = 0; c < C; c++) dst[c * plane + static_cast<size_t>(y) * outW + x] = clipFixed(acc[x * C + c]);
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

std::vector<u8> greyOf(const Planes& p) {
  const size_t n = p.n();
  std::vector<u8> g(n);
  if (p.c == 1) {
    std::copy(p.data, p.data + n, g.begin());
    return g;
  }
  const u8 *r = p.data, *gr = p.data + n, *b = p.data + 2 * n;
  for (size_t i = 0; i < n; i++) g[i] = luma(r[i], gr[i], b[i]);
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
  std::vector<u8> g = greyOf(p);
  uint64_t sum = 0;
  for (u8 v : g) sum += v;
  // ImageStat's mean (a double), rounded as ImageEnhance.Contrast does: int(mean + 0.5).
  blendConstant(p, static_cast<int>(static_cast<double>(sum) / static_cast<double>(g.size()) + 0.5), alpha);
}

void saturation(const Planes& p, float alpha) {
  if (p.c != 3) return;
  std::vector<u8> g = greyOf(p);
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) {
    u8* d = p.data + k * n;
    for (size_t i = 0; i < n; i++) d[i] = blendByte(g[i], d[i], alpha);
  }
}

void greyscale(const Planes& p) {
  if (p.c != 3) return;
  std::vector<u8> g = greyOf(p);
  const size_t n = p.n();
  for (int k = 0; k < 3; k++) std::copy(g.begin(), g.end(), p.data + k * n);
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
      sector[x] = static_cast<int>(h6);  // floor: h6 >= 0
      frac[x] = static_cast<float>(h6 - static_cast<float>(sector[x]));
      fs[x] = static_cast<float>(static_cast<float>(x) / 255.0);
    }
  }
};

const HueTables& hueTables() {
  static const HueTables t;
  return t;
}

// torchvision's PIL adjust_hue: Convert.c's rgb2hsv, H + shift (mod 256), hsv2rgb.
void hue(const Planes& p, double factor) {
  if (p.c != 3) return;
  const HueTables& T = hueTables();
  const float* div = T.div.data();
  // numpy's uint8 of a negative float wraps (the float truncated to an integer first).
  const int shift = ((static_cast<int>(factor * 255) % 256) + 256) % 256;
  const size_t n = p.n();
  u8 *R = p.data, *G = p.data + n, *B = p.data + 2 * n;
  for (size_t i = 0; i < n; i++) {
    const int r = R[i], g = G[i], b = B[i];
    const int maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
    if (maxc == minc) continue;  // S = 0: grey is unchanged by any hue
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
      switch (T.sector[uh] % 6) {
        case 0: outG = ut; outB = up; break;
        case 1: outR = uq; outB = up; break;
        case 2: outR = up; outB = ut; break;
        case 3: outR = up; outG = uq; break;
        case 4: outR = ut; outG = up; break;
        default: outG = up; outB = uq;
      }
    }
    R[i] = static_cast<u8>(outR);
    G[i] = static_cast<u8>(outG);
    B[i] = static_cast<u8>(outB);
  }
}

// pilColor(op, data, offset, c, h, w, factor): op 0 brightness, 1 contrast, 2 saturation, 3 hue,
// 4 greyscale, in place on one (C, H, W) image.
Napi::Value PilColor(const Napi::CallbackInfo& info) {
  const int op = intArg(info, 0);
  u8* data = bytesOf(info[1], "pilColor data");
  const size_t offset = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  Planes p{data + offset, intArg(info, 3), intArg(info, 4), intArg(info, 5)};
  if ((p.c != 1 && p.c != 3) || p.h < 1 || p.w < 1 || lengthOf(info[1]) < offset + p.n() * p.c)
    throw Napi::RangeError::New(info.Env(), "pilColor: sizes out of range");
  const double factor = info[6].As<Napi::Number>().DoubleValue();
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

// ------------------------------------------------------------------------------------ blur

// One extended box pass over the n bytes at `line` (whose r + 1 neighbours each side hold the edge
// pixels): out[x·stride] = (Σ_{|i−x|≤r} in[i]·ww + (in[x−r−1] + in[x+r+1])·fw + 2^23) >> 24, the
// window sum sliding by one pixel, in Pillow's wrapping uint32 arithmetic.
void boxPass(const u8* line, u8* out, size_t stride, int n, int r, uint32_t ww, uint32_t fw) {
  uint32_t acc = 0;
  for (int i = -r - 1; i < r; i++) acc += line[i];
  for (int x = 0; x < n; x++) {
    const uint32_t leave = line[x - r - 1];
    acc += static_cast<uint32_t>(line[x + r]) - leave;
    out[x * stride] = static_cast<u8>((acc * ww + (leave + line[x + r + 1]) * fw + (1u << 23)) >> 24);
  }
}

void fillPad(u8* line, int n, int pad) {
  std::fill(line - pad, line, line[0]);
  std::fill(line + n, line + n + pad, line[n - 1]);
}

// Three passes over each of `rows` lines of n bytes at src (line i at src + i·n), the last one
// written transposed: column i of an n × rows plane at dst (Pillow blurs rows, transposes, blurs
// rows again and transposes back).
void blurLinesTransposed(const u8* src, u8* dst, int rows, int n, int r, uint32_t ww, uint32_t fw, std::vector<u8>& scratch) {
  const int pad = r + 1;
  const size_t len = static_cast<size_t>(n) + 2 * pad;
  scratch.resize(2 * len);
  u8* a = scratch.data() + pad;
  u8* b = scratch.data() + len + pad;
  for (int i = 0; i < rows; i++) {
    std::copy(src + static_cast<size_t>(i) * n, src + static_cast<size_t>(i + 1) * n, a);
    fillPad(a, n, pad);
    boxPass(a, b, 1, n, r, ww, fw);
    fillPad(b, n, pad);
    boxPass(b, a, 1, n, r, ww, fw);
    fillPad(a, n, pad);
    boxPass(a, dst + i, rows, n, r, ww, fw);
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
  thread_local std::vector<u8> transposed, scratch;
  transposed.resize(plane);
  for (int k = 0; k < c; k++) {
    u8* base = data + offset + k * plane;
    blurLinesTransposed(base, transposed.data(), h, w, r, ww, fw, scratch);
    blurLinesTransposed(transposed.data(), base, w, h, r, ww, fw, scratch);
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeJpeg", Napi::Function::New(env, DecodeJpeg));
  exports.Set("resizedCropInto", Napi::Function::New(env, ResizedCropInto));
  exports.Set("pilColor", Napi::Function::New(env, PilColor));
  exports.Set("pilBoxBlur", Napi::Function::New(env, PilBoxBlur));
  return exports;
}

}  // namespace

NODE_API_MODULE(selfsup_pixels, Init)
