// Process-wide runtime: version, threads, seeding, generators, CUDA presence; and the module init.
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/api/include/torch/version.h>

#include "state.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>

namespace selfsup {

namespace {

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

Napi::Value Config(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::show_config());
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throwType(env, "setNumThreads: expected a positive integer, got " + std::to_string(n));
  SELFSUP_GUARD(env, "setNumThreads", { at::set_num_threads(n); })
  return env.Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0);
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  int n = at::globalContext().hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
  return Napi::Number::New(info.Env(), n);
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  SELFSUP_GUARD(env, "manualSeed", {
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    if (at::globalContext().hasCUDA()) {
      int n = at::detail::getCUDAHooks().getNumGPUs();
      for (int i = 0; i < n; ++i) {
        auto gen = at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(i)));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
  })
  return env.Undefined();
}

at::Generator& generatorAt(Napi::Env env, const Napi::Value& v) {
  State& st = state(env);
  int32_t id = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : -1;
  if (id < 0 || static_cast<size_t>(id) >= st.generators.size() || !st.generators[id]) {
    throwType(env, "invalid or disposed Generator");
  }
  return *st.generators[id];
}

// newGenerator(device) -> id; a fresh generator of that device type (a clone of the default one).
Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dev = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "cpu";
  State& st = state(env);
  SELFSUP_GUARD(env, "Generator", {
    c10::Device d(dev);
    at::Generator g = d.is_cpu() ? at::detail::getDefaultCPUGenerator().clone()
                                 : at::globalContext().defaultGenerator(d).clone();
    g.set_current_seed(c10::detail::getNonDeterministicRandom());
    st.generators.emplace_back(std::move(g));
  })
  return Napi::Number::New(env, static_cast<double>(st.generators.size() - 1));
}

// The default generator of a device as a generator id (for RNG-state save/restore).
Napi::Value DefaultGenerator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dev = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "cpu";
  State& st = state(env);
  SELFSUP_GUARD(env, "defaultGenerator", {
    c10::Device d(dev);
    st.generators.emplace_back(d.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(d));
  })
  return Napi::Number::New(env, static_cast<double>(st.generators.size() - 1));
}

Napi::Value FreeGenerator(const Napi::CallbackInfo& info) {
  State& st = state(info.Env());
  int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (id >= 0 && static_cast<size_t>(id) < st.generators.size()) st.generators[id].reset();
  return info.Env().Undefined();
}

Napi::Value GeneratorManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& g = generatorAt(env, info[0]);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_current_seed(static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()));
  return env.Undefined();
}

Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info) {
  at::Generator& g = generatorAt(info.Env(), info[0]);
  return Napi::Number::New(info.Env(), static_cast<double>(g.current_seed()));
}

// getState(id) -> uint8 tensor handle; setState(id, handle).
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& g = generatorAt(env, info[0]);
  at::Tensor s;
  SELFSUP_GUARD(env, "Generator.getState", {
    std::lock_guard<std::mutex> lock(g.mutex());
    s = g.get_state();
  })
  return Napi::Number::New(env, newHandle(env, s));
}

Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& g = generatorAt(env, info[0]);
  const at::Tensor& s = tensorAt(env, info[1], "Generator.setState");
  SELFSUP_GUARD(env, "Generator.setState", {
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(s);
  })
  return env.Undefined();
}

Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool on = info[0].As<Napi::Boolean>().Value();
  SELFSUP_GUARD(env, "useDeterministicAlgorithms", {
    at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/false);
    at::globalContext().setDeterministicCuDNN(on);
    at::globalContext().setBenchmarkCuDNN(false);
  })
  return env.Undefined();
}

}  // namespace

// glibc returns freed large blocks to the OS at once, so every training step page-faults its
// activations back in: measured 4.0-5.3 ms vs 0.33 ms for a 3x3 conv on this VM, in Python and
// here alike. Keep freed memory for reuse, like PyTorch's caching allocators do on GPU.
// SELFSUP_MALLOC_TUNING=0 turns this off; MALLOC_*_ environment variables still win.
static bool tuneMalloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("SELFSUP_MALLOC_TUNING");
  if (off && std::strcmp(off, "0") == 0) return false;
  bool ok = true;
  // Setting the trim threshold turns off glibc's adaptive mmap threshold, which would leave every
  // block over 128 KiB to a fresh mmap: raise it to glibc's maximum (32 MiB on 64-bit) as well.
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) ok &= mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  // Blocks over that maximum (a batch of 224 px activations: 100 MB and more) would still be
  // mapped and unmapped at each use, page-faulted in every time: feature extraction at batch 128
  // ran at half speed (docs/benchmarks.md). Serve them from the heap too; threads other than the
  // main one fall back to mmap for blocks larger than their 64 MiB heaps, as before.
  if (!std::getenv("MALLOC_MMAP_MAX_")) ok &= mallopt(M_MMAP_MAX, 0) == 1;
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) ok &= mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  if (!std::getenv("MALLOC_TOP_PAD_")) ok &= mallopt(M_TOP_PAD, 64 << 20) == 1;
  return ok;
#else
  return false;
#endif
}

// nativeHeap() -> glibc's own accounting over all arenas (mallinfo2): what the allocator holds
// from the OS and how much of it is live. A slope in `inUse` is a native leak; a slope in `held`
// with a flat `inUse` is freed memory the allocator keeps (see tuneMalloc).
Napi::Value NativeHeap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  o.Set("available", Napi::Boolean::New(env, true));
  o.Set("held", Napi::Number::New(env, static_cast<double>(m.arena + m.hblkhd)));
  o.Set("inUse", Napi::Number::New(env, static_cast<double>(m.uordblks + m.hblkhd)));
  o.Set("free", Napi::Number::New(env, static_cast<double>(m.fordblks)));
  o.Set("mmapped", Napi::Number::New(env, static_cast<double>(m.hblkhd)));
#else
  o.Set("available", Napi::Boolean::New(env, false));
#endif
  return o;
}

// trimNativeHeap(pad) -> whether any memory went back to the OS. malloc_trim also releases
// whole free pages inside every arena; a top it shrinks only in a main heap that brk still ends.
Napi::Value TrimNativeHeap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__)
  size_t pad = info.Length() > 0 && info[0].IsNumber() ? static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()) : 0;
  return Napi::Boolean::New(env, malloc_trim(pad) == 1);
#else
  return Napi::Boolean::New(env, false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static const bool mallocTuned = tuneMalloc();
  env.SetInstanceData<State>(new State());
  exports.Set("mallocTuned", Napi::Boolean::New(env, mallocTuned));
  initTensors(env, exports);
  initDispatch(env, exports);
  initAutograd(env, exports);
  initDistributed(env, exports);
  initAccel(env, exports);
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("nativeHeap", Napi::Function::New(env, NativeHeap, "nativeHeap"));
  exports.Set("trimNativeHeap", Napi::Function::New(env, TrimNativeHeap, "trimNativeHeap"));
  exports.Set("config", Napi::Function::New(env, Config, "config"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("cudaIsAvailable", Napi::Function::New(env, CudaIsAvailable, "cudaIsAvailable"));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCount, "cudaDeviceCount"));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("newGenerator", Napi::Function::New(env, NewGenerator, "newGenerator"));
  exports.Set("defaultGenerator", Napi::Function::New(env, DefaultGenerator, "defaultGenerator"));
  exports.Set("freeGenerator", Napi::Function::New(env, FreeGenerator, "freeGenerator"));
  exports.Set("generatorManualSeed", Napi::Function::New(env, GeneratorManualSeed, "generatorManualSeed"));
  exports.Set("generatorInitialSeed", Napi::Function::New(env, GeneratorInitialSeed, "generatorInitialSeed"));
  exports.Set("generatorGetState", Napi::Function::New(env, GeneratorGetState, "generatorGetState"));
  exports.Set("generatorSetState", Napi::Function::New(env, GeneratorSetState, "generatorSetState"));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic, "setDeterministic"));
  return exports;
}

}  // namespace selfsup

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return selfsup::Init(env, exports); }

NODE_API_MODULE(selfsup_torch, InitAddon)
