// What the pixel addon's files share: the byte type, the AVX2-clone attribute of the hot loops, the
// helpers that read a kernel's arguments, and the kernels addon.cc registers (each defined in the
// file named beside it).
//
// The arithmetic of every kernel is Pillow's own: float where Pillow declares float, double where
// its constants are double, int32 fixed point for resampling; `-ffp-contract=off` (binding.gyp)
// keeps the compiler from fusing multiply-adds, which would change roundings. The hot loops run in
// vector lanes (GCC's vectoriser with its dynamic cost model, hand-written lanes for the hue): each
// lane does the scalar IEEE arithmetic and nothing is reassociated (no -ffast-math), so vectorising
// changes no byte. Every function works in place or into a caller's buffer, on one image.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

// Hot loops get an AVX2 clone next to the baseline x86-64 one, picked at load time (GCC's
// target_clones); other targets compile the portable code once.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

// Hidden: the helpers below and the kernels are shared between this addon's files only, called
// directly rather than through the PLT (node-gyp compiles with default visibility).
namespace selfsup __attribute__((visibility("hidden"))) {

using u8 = uint8_t;

inline u8* bytesOf(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Uint8Array");
  return v.As<Napi::Uint8Array>().Data();
}

inline size_t lengthOf(const Napi::Value& v) { return v.As<Napi::Uint8Array>().ElementLength(); }

inline const int32_t* intsOf(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array");
  return v.As<Napi::Int32Array>().Data();
}

inline int intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

// The exported kernels, as addon.cc registers them.
Napi::Value DecodeJpeg(const Napi::CallbackInfo& info);         // jpeg.cc
Napi::Value ResizedCropInto(const Napi::CallbackInfo& info);    // resample.cc
Napi::Value AaResizedCropInto(const Napi::CallbackInfo& info);  // resample.cc
Napi::Value AaHorizontal(const Napi::CallbackInfo& info);       // resample.cc
Napi::Value AaVertical(const Napi::CallbackInfo& info);         // resample.cc
Napi::Value PilColor(const Napi::CallbackInfo& info);           // colour.cc
Napi::Value TvColor(const Napi::CallbackInfo& info);            // colour.cc
Napi::Value PilBoxBlur(const Napi::CallbackInfo& info);         // blur.cc
Napi::Value SetThreadIdlePriority(const Napi::CallbackInfo& info);  // thread.cc

}  // namespace selfsup
