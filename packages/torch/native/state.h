// Per-environment state of the addon: the tensor slot table, resolved operators and generators.
// Everything lives in Napi instance data so that the addon can be loaded in several worker_threads.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/InferenceMode.h>
#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace selfsup {

// How a JS value is converted for one schema argument; computed once per operator.
enum class ArgKind : uint8_t {
  Tensor,
  TensorList,
  OptTensorList,  // Tensor?[]
  Int,
  IntList,
  Float,
  FloatList,
  Bool,
  BoolList,
  Scalar,
  ScalarList,
  ScalarType,
  Layout,
  MemoryFormat,
  Device,
  Generator,
  String,
  Unsupported,
};

struct ArgSpec {
  std::string name;
  ArgKind kind;
  bool optional;   // `T?`: null/undefined become None
  int fixedLen;    // N of `int[N]`, 0 otherwise: a bare number is broadcast as in Python
  bool hasDefault;
  c10::IValue defaultValue;
};

struct OpEntry {
  std::string name;  // aten::add.Tensor
  c10::OperatorHandle handle;
  std::vector<ArgSpec> args;
  // A return that aliases a written input (in-place and out= ops): no new handle is made for it;
  // the TS layer returns the input object.
  std::vector<bool> returnIsWrite;
};

struct State {
  std::vector<at::Tensor> slots;
  std::vector<int32_t> freeSlots;
  // Per slot: bytes reported to V8 as external memory (only GC-owned handles; see tensors.cc).
  std::vector<int64_t> reportedBytes;
  int64_t reportedTotal = 0;
  int64_t liveTensors = 0;
  int64_t peakTensors = 0;
  int64_t pendingExternal = 0;  // bytes not yet reported to V8
  std::vector<std::unique_ptr<OpEntry>> ops;
  std::unordered_map<std::string, int32_t> opIndex;
  std::vector<c10::optional<at::Generator>> generators;
  std::vector<std::unique_ptr<c10::InferenceMode>> inferenceGuards;
};

State& state(Napi::Env env);

// Slot table.
int32_t newHandle(Napi::Env env, at::Tensor t);
const at::Tensor& tensorAt(Napi::Env env, const Napi::Value& v, const char* what);
const at::Tensor& tensorAt(Napi::Env env, int32_t h, const char* what);
void freeHandle(Napi::Env env, int32_t h);
Napi::Value handleOrNull(Napi::Env env, const at::Tensor& t);

// Errors: every libtorch exception becomes a JS Error naming the op.
[[noreturn]] void throwTorchError(Napi::Env env, const std::string& op, const std::exception& e);
[[noreturn]] void throwType(Napi::Env env, const std::string& msg);

#define SELFSUP_GUARD(env, opname, body)                                  \
  try {                                                                   \
    body                                                                  \
  } catch (const Napi::Error&) {                                          \
    throw;                                                                \
  } catch (const std::exception& e) {                                     \
    ::selfsup::throwTorchError(env, opname, e);                           \
  }

void initTensors(Napi::Env env, Napi::Object exports);
void initDispatch(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initAccel(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
