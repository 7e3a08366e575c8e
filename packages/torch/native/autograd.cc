// Autograd from JS: requires_grad, .grad, backward, autograd.grad, grad mode and inference mode.
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include "state.h"

namespace selfsup {

namespace {

std::vector<at::Tensor> tensorList(Napi::Env env, const Napi::Value& v, const char* what, bool allowNull) {
  if (!v.IsArray()) throwType(env, std::string(what) + ": expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (allowNull && (e.IsNull() || e.IsUndefined())) out.emplace_back();
    else out.push_back(tensorAt(env, e, what));
  }
  return out;
}

c10::optional<bool> optBool(const Napi::Value& v) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  return c10::nullopt;
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), info[0], "requiresGrad");
  return Napi::Boolean::New(info.Env(), t.requires_grad());
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, info[0], "requiresGrad_");
  SELFSUP_GUARD(env, "requiresGrad_", { t.set_requires_grad(info[1].As<Napi::Boolean>().Value()); })
  return env.Undefined();
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), info[0], "isLeaf");
  return Napi::Boolean::New(info.Env(), t.is_leaf());
}

Napi::Value GradFn(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), info[0], "gradFn");
  auto fn = t.grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), info[0], "grad");
  return handleOrNull(info.Env(), t.grad());
}

Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, info[0], "grad=");
  SELFSUP_GUARD(env, "grad=", {
    if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad() = at::Tensor();
    else t.mutable_grad() = tensorAt(env, info[1], "grad=");
  })
  return env.Undefined();
}

// setData(h, other): swaps the tensor's data for other's, keeping its identity and autograd leaf
// status (PyTorch's `param.data = other`): how Module.to() converts parameters in place.
Napi::Value SetData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, info[0], "setData");
  const at::Tensor& o = tensorAt(env, info[1], "setData");
  SELFSUP_GUARD(env, "setData", { const_cast<at::Tensor&>(t).set_data(o); })
  return env.Undefined();
}

Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, info[0], "retainGrad");
  SELFSUP_GUARD(env, "retainGrad", { t.retain_grad(); })
  return env.Undefined();
}

// backward(tensors[], grads[] (null = ones for scalars), retainGraph?, createGraph, inputs[]?)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto tensors = tensorList(env, info[0], "backward", false);
  auto grads = tensorList(env, info[1], "backward grad", true);
  auto retain = optBool(info[2]);
  bool create = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  std::vector<at::Tensor> inputs;
  if (info.Length() > 4 && info[4].IsArray()) inputs = tensorList(env, info[4], "backward inputs", false);
  SELFSUP_GUARD(env, "backward", { torch::autograd::backward(tensors, grads, retain, create, inputs); })
  return env.Undefined();
}

// grad(outputs[], inputs[], gradOutputs[], retainGraph?, createGraph, allowUnused) -> (handle|null)[]
Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto outputs = tensorList(env, info[0], "autograd.grad outputs", false);
  auto inputs = tensorList(env, info[1], "autograd.grad inputs", false);
  auto gradOutputs = tensorList(env, info[2], "autograd.grad gradOutputs", true);
  auto retain = optBool(info[3]);
  bool create = info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  bool allowUnused = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
  std::vector<at::Tensor> result;
  SELFSUP_GUARD(env, "autograd.grad", {
    result = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
  })
  auto a = Napi::Array::New(env, result.size());
  for (size_t i = 0; i < result.size(); ++i) a.Set(static_cast<uint32_t>(i), handleOrNull(env, result[i]));
  return a;
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  at::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// Inference mode is a RAII guard in C++; JS enters and leaves it around a callback, so the
// guards live on a stack in the env state and are popped in LIFO order by the TS wrapper.
Napi::Value EnterInferenceMode(const Napi::CallbackInfo& info) {
  bool enabled = info.Length() == 0 || !info[0].IsBoolean() || info[0].As<Napi::Boolean>().Value();
  state(info.Env()).inferenceGuards.push_back(std::make_unique<c10::InferenceMode>(enabled));
  return info.Env().Undefined();
}

Napi::Value ExitInferenceMode(const Napi::CallbackInfo& info) {
  auto& g = state(info.Env()).inferenceGuards;
  if (!g.empty()) g.pop_back();
  return info.Env().Undefined();
}

Napi::Value IsInferenceMode(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

Napi::Value IsInference(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), info[0], "isInference");
  return Napi::Boolean::New(info.Env(), t.is_inference());
}

}  // namespace

void initAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad, "requiresGrad"));
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad, "setRequiresGrad"));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf, "isLeaf"));
  exports.Set("gradFn", Napi::Function::New(env, GradFn, "gradFn"));
  exports.Set("grad", Napi::Function::New(env, Grad, "grad"));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad, "setGrad"));
  exports.Set("retainGrad", Napi::Function::New(env, RetainGrad, "retainGrad"));
  exports.Set("setData", Napi::Function::New(env, SetData, "setData"));
  exports.Set("backward", Napi::Function::New(env, Backward, "backward"));
  exports.Set("autogradGrad", Napi::Function::New(env, AutogradGrad, "autogradGrad"));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled, "isGradEnabled"));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled, "setGradEnabled"));
  exports.Set("enterInferenceMode", Napi::Function::New(env, EnterInferenceMode, "enterInferenceMode"));
  exports.Set("exitInferenceMode", Napi::Function::New(env, ExitInferenceMode, "exitInferenceMode"));
  exports.Set("isInferenceMode", Napi::Function::New(env, IsInferenceMode, "isInferenceMode"));
  exports.Set("isInference", Napi::Function::New(env, IsInference, "isInference"));
}

}  // namespace selfsup
