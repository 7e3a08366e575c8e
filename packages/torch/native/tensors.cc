// Tensor handles: a slot table of at::Tensor indexed by small integers, plus the calls that read
// tensor metadata and move bytes between JS typed arrays and tensors.
#include <cstring>

#include "state.h"

namespace selfsup {

namespace {

// V8 only sees small JS objects. Native bytes are reported only for the tensors whose lifetime the
// garbage collector decides (the JS side's FinalizationRegistry safety net, see scope.ts), so that
// a yielding loop that leaks them still gets collected. Tensors owned by a tidy scope are freed
// deterministically; reporting them made every large forward pass (GiBs of activations freed
// within the pass) cross V8's external-memory limit and start a major GC about every 64 MiB:
// ~10 mark-compacts per ResNet-50 batch, whose concurrent marking took cores from the intra-op
// threads (1.63 s vs 1.13 s per batch of 32 on 2 threads, measured 2026-12-06).
// 16 MiB batches keep the N-API call off the per-tensor path.
constexpr int64_t kExternalBatch = 16 << 20;

int64_t storageBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

void reportExternal(Napi::Env env, State& st, int64_t delta) {
  st.pendingExternal += delta;
  if (st.pendingExternal > kExternalBatch || st.pendingExternal < -kExternalBatch) {
    Napi::MemoryManagement::AdjustExternalMemory(env, st.pendingExternal);
    st.pendingExternal = 0;
  }
}

}  // namespace

State& state(Napi::Env env) { return *env.GetInstanceData<State>(); }

int32_t newHandle(Napi::Env env, at::Tensor t) {
  State& st = state(env);
  int32_t h;
  if (!st.freeSlots.empty()) {
    h = st.freeSlots.back();
    st.freeSlots.pop_back();
    st.slots[h] = std::move(t);
  } else {
    h = static_cast<int32_t>(st.slots.size());
    st.slots.push_back(std::move(t));
    st.reportedBytes.push_back(0);
  }
  if (++st.liveTensors > st.peakTensors) st.peakTensors = st.liveTensors;
  return h;
}

const at::Tensor& tensorAt(Napi::Env env, int32_t h, const char* what) {
  State& st = state(env);
  if (h < 0 || static_cast<size_t>(h) >= st.slots.size() || !st.slots[h].defined()) {
    throwType(env, std::string(what) + ": invalid or disposed tensor handle " + std::to_string(h));
  }
  return st.slots[h];
}

const at::Tensor& tensorAt(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throwType(env, std::string(what) + ": expected a Tensor");
  return tensorAt(env, v.As<Napi::Number>().Int32Value(), what);
}

void freeHandle(Napi::Env env, int32_t h) {
  State& st = state(env);
  if (h < 0 || static_cast<size_t>(h) >= st.slots.size() || !st.slots[h].defined()) return;
  if (st.reportedBytes[h] != 0) {
    reportExternal(env, st, -st.reportedBytes[h]);
    st.reportedTotal -= st.reportedBytes[h];
    st.reportedBytes[h] = 0;
  }
  st.slots[h] = at::Tensor();
  st.freeSlots.push_back(h);
  --st.liveTensors;
}

Napi::Value handleOrNull(Napi::Env env, const at::Tensor& t) {
  if (!t.defined()) return env.Null();
  return Napi::Number::New(env, newHandle(env, t));
}

[[noreturn]] void throwType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

[[noreturn]] void throwTorchError(Napi::Env env, const std::string& op, const std::exception& e) {
  std::string kind = "RuntimeError";
  std::string msg;
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) {
    msg = ce->what_without_backtrace();
    if (dynamic_cast<const c10::IndexError*>(&e)) kind = "IndexError";
    else if (dynamic_cast<const c10::ValueError*>(&e)) kind = "ValueError";
    else if (dynamic_cast<const c10::TypeError*>(&e)) kind = "TypeError";
    else if (dynamic_cast<const c10::NotImplementedError*>(&e)) kind = "NotImplementedError";
    else if (dynamic_cast<const c10::OutOfMemoryError*>(&e)) kind = "OutOfMemoryError";
    else if (dynamic_cast<const c10::LinAlgError*>(&e)) kind = "LinAlgError";
  } else {
    msg = e.what();
  }
  // libtorch appends "Exception raised from …" context lines in some builds: keep the cause.
  auto cut = msg.find("\nException raised from");
  if (cut != std::string::npos) msg = msg.substr(0, cut);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  Napi::Error err = Napi::Error::New(env, op + ": " + msg);
  err.Set("op", Napi::String::New(env, op));
  err.Set("kind", Napi::String::New(env, kind));
  err.Set("cause", Napi::String::New(env, msg));
  throw err;
}

namespace {

int32_t argHandle(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throwType(info.Env(), std::string(what) + ": expected a tensor handle");
  return info[i].As<Napi::Number>().Int32Value();
}

std::vector<int64_t> intList(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throwType(env, std::string(what) + ": expected an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber()) throwType(env, std::string(what) + ": expected an array of integers");
    double d = e.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) {
      throwType(env, std::string(what) + ": expected integers, got " + std::to_string(d));
    }
    out[i] = static_cast<int64_t>(d);
  }
  return out;
}

Napi::Array toIntArray(Napi::Env env, c10::IntArrayRef r) {
  auto a = Napi::Array::New(env, r.size());
  for (size_t i = 0; i < r.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(r[i])));
  return a;
}

// The bytes of a TypedArray, ArrayBuffer or DataView.
std::pair<const uint8_t*, size_t> bytesOf(Napi::Env env, const Napi::Value& v) {
  if (v.IsTypedArray()) {
    // The element pointer straight from Node-API: it is valid for views of a SharedArrayBuffer too
    // (in-memory datasets shared with loader threads), where ArrayBuffer() would fail.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok)
      throwType(env, "fromBuffer: unreadable TypedArray");
    return {static_cast<const uint8_t*>(data), v.As<Napi::TypedArray>().ByteLength()};
  }
  if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    return {static_cast<const uint8_t*>(ab.Data()), ab.ByteLength()};
  }
  if (v.IsDataView()) {
    auto dv = v.As<Napi::DataView>();
    return {static_cast<const uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset(), dv.ByteLength()};
  }
  throwType(env, "fromBuffer: expected a TypedArray or ArrayBuffer");
  return {nullptr, 0};
}

// fromBuffer(bytes | bytes[], dtype, shape) -> a new tensor holding a copy of the bytes; a list of
// parts is joined in order, with one copy (the loader's chunks from its worker threads).
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::pair<const uint8_t*, size_t>> parts;
  if (info[0].IsArray()) {
    auto list = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) parts.push_back(bytesOf(env, list.Get(i)));
  } else {
    parts.push_back(bytesOf(env, info[0]));
  }
  size_t len = 0;
  for (const auto& p : parts) len += p.second;
  auto dtype = static_cast<c10::ScalarType>(info[1].As<Napi::Number>().Int32Value());
  auto shape = intList(env, info[2], "fromBuffer shape");
  at::Tensor t;
  SELFSUP_GUARD(env, "fromBuffer", {
    t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t need = t.nbytes();
    if (need != len) {
      throwType(env, "fromBuffer: shape [" + c10::Join(", ", shape) + "] of " + std::string(c10::toString(dtype)) +
                         " needs " + std::to_string(need) + " bytes, got " + std::to_string(len));
    }
    auto* at = static_cast<uint8_t*>(t.data_ptr());
    for (const auto& p : parts) {
      if (p.second) std::memcpy(at, p.first, p.second);
      at += p.second;
    }
  })
  return Napi::Number::New(env, newHandle(env, std::move(t)));
}

// toBuffer(h) -> ArrayBuffer holding the contiguous CPU bytes (one copy; device tensors copied to CPU).
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, argHandle(info, 0, "toBuffer"), "toBuffer");
  Napi::ArrayBuffer ab;
  SELFSUP_GUARD(env, "toBuffer", {
    at::Tensor c = t.detach();
    if (!c.device().is_cpu()) c = c.to(at::kCPU);
    c = c.contiguous();
    ab = Napi::ArrayBuffer::New(env, c.nbytes());
    if (c.nbytes()) std::memcpy(ab.Data(), c.data_ptr(), c.nbytes());
  })
  return ab;
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info[0].IsNumber()) freeHandle(info.Env(), info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value FreeMany(const Napi::CallbackInfo& info) {
  auto arr = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) freeHandle(info.Env(), arr.Get(i).As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// reportToGc(h): the garbage collector now owns the handle's lifetime; tell V8 its storage's bytes
// (until it is freed). Idempotent.
Napi::Value ReportToGc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t h = argHandle(info, 0, "reportToGc");
  const at::Tensor& t = tensorAt(env, h, "reportToGc");
  State& st = state(env);
  if (st.reportedBytes[h] == 0) {
    st.reportedBytes[h] = storageBytes(t);
    st.reportedTotal += st.reportedBytes[h];
    reportExternal(env, st, st.reportedBytes[h]);
  }
  return env.Undefined();
}

// A new handle to the same tensor (shares storage and autograd identity): used by keep-like APIs.
Napi::Value Alias(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "alias"), "alias");
  return Napi::Number::New(info.Env(), newHandle(info.Env(), t));
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "shape"), "shape");
  return toIntArray(info.Env(), t.sizes());
}

Napi::Value Strides(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "stride"), "stride");
  return toIntArray(info.Env(), t.strides());
}

Napi::Value Dim(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "dim"), "dim");
  return Napi::Number::New(info.Env(), static_cast<double>(t.dim()));
}

Napi::Value Numel(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "numel"), "numel");
  return Napi::Number::New(info.Env(), static_cast<double>(t.numel()));
}

Napi::Value Dtype(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "dtype"), "dtype");
  return Napi::Number::New(info.Env(), static_cast<int>(t.scalar_type()));
}

Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "device"), "device");
  return Napi::String::New(info.Env(), t.device().str());
}

Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "isContiguous"), "isContiguous");
  auto fmt = info.Length() > 1 && info[1].IsNumber()
                 ? static_cast<c10::MemoryFormat>(info[1].As<Napi::Number>().Int32Value())
                 : c10::MemoryFormat::Contiguous;
  return Napi::Boolean::New(info.Env(), t.is_contiguous(fmt));
}

Napi::Value StorageOffset(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorAt(info.Env(), argHandle(info, 0, "storageOffset"), "storageOffset");
  return Napi::Number::New(info.Env(), static_cast<double>(t.storage_offset()));
}

// item(h) -> number | boolean (one-element tensors only; libtorch's message otherwise).
Napi::Value Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensorAt(env, argHandle(info, 0, "item"), "item");
  c10::Scalar s;
  SELFSUP_GUARD(env, "aten::item", { s = t.item(); })
  if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
  if (s.isComplex()) throwType(env, "item: complex tensors are not supported; use torch.viewAsReal");
  return Napi::Number::New(env, s.toDouble());
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& st = state(env);
  // Count each storage once: views share storage with their base.
  std::unordered_map<const void*, size_t> storages;
  for (const auto& t : st.slots) {
    if (t.defined() && t.has_storage()) storages[t.storage().unsafeGetStorageImpl()] = t.storage().nbytes();
  }
  double bytes = 0;
  for (const auto& kv : storages) bytes += static_cast<double>(kv.second);
  auto o = Napi::Object::New(env);
  o.Set("liveTensors", Napi::Number::New(env, static_cast<double>(st.liveTensors)));
  o.Set("peakTensors", Napi::Number::New(env, static_cast<double>(st.peakTensors)));
  o.Set("liveBytes", Napi::Number::New(env, bytes));
  o.Set("storages", Napi::Number::New(env, static_cast<double>(storages.size())));
  o.Set("gcOwnedBytes", Napi::Number::New(env, static_cast<double>(st.reportedTotal)));
  return o;
}

}  // namespace

void initTensors(Napi::Env env, Napi::Object exports) {
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer, "fromBuffer"));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer, "toBuffer"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("freeMany", Napi::Function::New(env, FreeMany, "freeMany"));
  exports.Set("reportToGc", Napi::Function::New(env, ReportToGc, "reportToGc"));
  exports.Set("alias", Napi::Function::New(env, Alias, "alias"));
  exports.Set("shape", Napi::Function::New(env, Shape, "shape"));
  exports.Set("strides", Napi::Function::New(env, Strides, "strides"));
  exports.Set("dim", Napi::Function::New(env, Dim, "dim"));
  exports.Set("numel", Napi::Function::New(env, Numel, "numel"));
  exports.Set("dtype", Napi::Function::New(env, Dtype, "dtype"));
  exports.Set("device", Napi::Function::New(env, DeviceOf, "device"));
  exports.Set("isContiguous", Napi::Function::New(env, IsContiguous, "isContiguous"));
  exports.Set("storageOffset", Napi::Function::New(env, StorageOffset, "storageOffset"));
  exports.Set("item", Napi::Function::New(env, Item, "item"));
  exports.Set("memory", Napi::Function::New(env, Memory, "memory"));
}

}  // namespace selfsup
