// Autocast (torch.autocast) and the CUDA runtime queries a training loop needs: synchronisation,
// runtime/cuDNN versions, device properties, cuDNN/TF32 switches. Everything here compiles against
// a CPU-only libtorch too: CUDA calls go through ATen's CUDA hooks, which a CPU build answers with
// "no CUDA"; device properties need the CUDA headers and are compiled only when they were found.
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/api/include/torch/version.h>

#ifdef SELFSUP_CUDA_HEADERS
#include <ATen/cuda/CUDAContext.h>
#endif

#include "state.h"

// torch 2.4 replaced the per-device autocast functions (set_enabled, set_cpu_enabled, …) by ones
// that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SELFSUP_AUTOCAST_BY_DEVICE 1
#endif

namespace selfsup {

namespace {

c10::DeviceType autocastDevice(Napi::Env env, const Napi::Value& v) {
  std::string d = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (d == "cpu") return c10::DeviceType::CPU;
  if (d == "cuda") return c10::DeviceType::CUDA;
  throwType(env, "autocast: deviceType must be 'cpu' or 'cuda', got '" + d + "'");
}

bool autocastEnabled(c10::DeviceType d) {
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

at::ScalarType autocastDtype(c10::DeviceType d) {
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void setAutocast(c10::DeviceType d, bool on, at::ScalarType dtype) {
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(d, on);
  at::autocast::set_autocast_dtype(d, dtype);
#else
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(on);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(on);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
}

Napi::Array autocastStateArray(Napi::Env env, c10::DeviceType d) {
  auto a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::Boolean::New(env, autocastEnabled(d)));
  a.Set(1u, Napi::Number::New(env, static_cast<double>(autocastDtype(d))));
  a.Set(2u, Napi::Boolean::New(env, at::autocast::is_autocast_cache_enabled()));
  return a;
}

// autocastState(deviceType) -> [enabled, dtypeCode, cacheEnabled]
Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  return autocastStateArray(info.Env(), autocastDevice(info.Env(), info[0]));
}

// autocastEnter(deviceType, enabled, dtypeCode, cacheEnabled) -> the previous state, for autocastExit.
// As torch.autocast.__enter__: set the state, count the nesting.
Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = autocastDevice(env, info[0]);
  bool on = info[1].As<Napi::Boolean>().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  bool cache = info[3].As<Napi::Boolean>().Value();
  Napi::Array prev = autocastStateArray(env, d);
  SELFSUP_GUARD(env, "autocast", {
    setAutocast(d, on, dtype);
    at::autocast::set_autocast_cache_enabled(cache);
    at::autocast::increment_nesting();
  })
  return prev;
}

// autocastExit(deviceType, prevEnabled, prevDtypeCode, prevCacheEnabled): as torch.autocast.__exit__,
// the cast-weight cache is cleared when the outermost region ends.
Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = autocastDevice(env, info[0]);
  bool on = info[1].As<Napi::Boolean>().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  bool cache = info[3].As<Napi::Boolean>().Value();
  SELFSUP_GUARD(env, "autocast", {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setAutocast(d, on, dtype);
    at::autocast::set_autocast_cache_enabled(cache);
  })
  return env.Undefined();
}

bool hasCuda() {
  return at::globalContext().hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0;
}

// cudaSynchronize(index): waits for every kernel queued on that device (torch.cuda.synchronize).
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!hasCuda()) throwType(env, "cuda.synchronize: no CUDA device (this libtorch has no CUDA, or no GPU is visible)");
  int index = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  SELFSUP_GUARD(env, "cuda.synchronize", {
    at::detail::getCUDAHooks().deviceSynchronize(static_cast<c10::DeviceIndex>(index));
  })
  return env.Undefined();
}

// cudaInfo() -> { runtime, cudnn, devices: [{ name, totalMemory, capability }] } (runtime/cudnn 0 when absent).
Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  bool cuda = at::globalContext().hasCUDA();
  auto& hooks = at::detail::getCUDAHooks();
  o.Set("runtime", Napi::Number::New(env, cuda ? static_cast<double>(hooks.versionCUDART()) : 0));
  o.Set("cudnn", Napi::Number::New(env, cuda && hooks.hasCuDNN() ? static_cast<double>(hooks.versionCuDNN()) : 0));
  int n = cuda ? hooks.getNumGPUs() : 0;
  auto devices = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) {
    auto d = Napi::Object::New(env);
    d.Set("index", Napi::Number::New(env, i));
#ifdef SELFSUP_CUDA_HEADERS
    SELFSUP_GUARD(env, "cuda.getDeviceProperties", {
      const auto* p = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(i));
      d.Set("name", Napi::String::New(env, p->name));
      d.Set("totalMemory", Napi::Number::New(env, static_cast<double>(p->totalGlobalMem)));
      d.Set("capability", Napi::String::New(env, std::to_string(p->major) + "." + std::to_string(p->minor)));
    })
#endif
    devices.Set(static_cast<uint32_t>(i), d);
  }
  o.Set("devices", devices);
  return o;
}

// backendFlags({ cudnnBenchmark?, allowTF32Matmul?, allowTF32Cudnn? }) -> the flags now.
Napi::Value BackendFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& ctx = at::globalContext();
  if (info.Length() > 0 && info[0].IsObject()) {
    auto in = info[0].As<Napi::Object>();
    SELFSUP_GUARD(env, "backends", {
      if (in.Get("cudnnBenchmark").IsBoolean()) ctx.setBenchmarkCuDNN(in.Get("cudnnBenchmark").As<Napi::Boolean>().Value());
      if (in.Get("allowTF32Matmul").IsBoolean())
        ctx.setAllowTF32CuBLAS(in.Get("allowTF32Matmul").As<Napi::Boolean>().Value());
      if (in.Get("allowTF32Cudnn").IsBoolean()) ctx.setAllowTF32CuDNN(in.Get("allowTF32Cudnn").As<Napi::Boolean>().Value());
    })
  }
  auto o = Napi::Object::New(env);
  o.Set("cudnnBenchmark", Napi::Boolean::New(env, ctx.benchmarkCuDNN()));
  o.Set("allowTF32Matmul", Napi::Boolean::New(env, ctx.allowTF32CuBLAS()));
  o.Set("allowTF32Cudnn", Napi::Boolean::New(env, ctx.allowTF32CuDNN()));
  return o;
}

}  // namespace

void initAccel(Napi::Env env, Napi::Object exports) {
  exports.Set("autocastState", Napi::Function::New(env, AutocastState, "autocastState"));
  exports.Set("autocastEnter", Napi::Function::New(env, AutocastEnter, "autocastEnter"));
  exports.Set("autocastExit", Napi::Function::New(env, AutocastExit, "autocastExit"));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize, "cudaSynchronize"));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
  exports.Set("backendFlags", Napi::Function::New(env, BackendFlags, "backendFlags"));
}

}  // namespace selfsup
