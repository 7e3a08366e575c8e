// The one generic entry point: any ATen operator, looked up once by schema name, called boxed
// through the c10 dispatcher with arguments converted by their schema types.
#include <cmath>

#include "state.h"

namespace selfsup {

namespace {

using c10::TypeKind;

ArgKind scalarKindOf(const c10::TypePtr& t) {
  switch (t->kind()) {
    case TypeKind::TensorType: return ArgKind::Tensor;
    case TypeKind::IntType:
    case TypeKind::SymIntType: return ArgKind::Int;
    case TypeKind::FloatType: return ArgKind::Float;
    case TypeKind::BoolType: return ArgKind::Bool;
    case TypeKind::NumberType: return ArgKind::Scalar;
    case TypeKind::ScalarTypeType: return ArgKind::ScalarType;
    case TypeKind::LayoutType: return ArgKind::Layout;
    case TypeKind::MemoryFormatType: return ArgKind::MemoryFormat;
    case TypeKind::DeviceObjType: return ArgKind::Device;
    case TypeKind::GeneratorType: return ArgKind::Generator;
    case TypeKind::StringType: return ArgKind::String;
    default: return ArgKind::Unsupported;
  }
}

ArgSpec specOf(const c10::Argument& a) {
  ArgSpec s;
  s.name = a.name();
  s.optional = false;
  s.fixedLen = a.N() ? static_cast<int>(*a.N()) : 0;
  s.hasDefault = a.default_value().has_value();
  if (s.hasDefault) s.defaultValue = *a.default_value();
  c10::TypePtr t = a.real_type();
  if (t->kind() == TypeKind::OptionalType) {
    s.optional = true;
    t = t->expectRef<c10::OptionalType>().getElementType();
  }
  if (t->kind() == TypeKind::ListType) {
    c10::TypePtr e = t->expectRef<c10::ListType>().getElementType();
    if (e->kind() == TypeKind::OptionalType) {
      c10::TypePtr inner = e->expectRef<c10::OptionalType>().getElementType();
      s.kind = inner->kind() == TypeKind::TensorType ? ArgKind::OptTensorList : ArgKind::Unsupported;
      return s;
    }
    switch (scalarKindOf(e)) {
      case ArgKind::Tensor: s.kind = ArgKind::TensorList; break;
      case ArgKind::Int: s.kind = ArgKind::IntList; break;
      case ArgKind::Float: s.kind = ArgKind::FloatList; break;
      case ArgKind::Bool: s.kind = ArgKind::BoolList; break;
      case ArgKind::Scalar: s.kind = ArgKind::ScalarList; break;
      default: s.kind = ArgKind::Unsupported;
    }
    return s;
  }
  s.kind = scalarKindOf(t);
  return s;
}

[[noreturn]] void argError(Napi::Env env, const OpEntry& op, const ArgSpec& a, const char* expected) {
  throwType(env, op.name + ": argument '" + a.name + "' expected " + expected);
}

int64_t toInt(Napi::Env env, const OpEntry& op, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::trunc(d) != d || !std::isfinite(d)) argError(env, op, a, "an integer");
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  argError(env, op, a, "an integer");
}

double toDouble(Napi::Env env, const OpEntry& op, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  argError(env, op, a, "a number");
}

// JS has one number type: integral values become integer Scalars (so `int64 * 2` stays int64,
// unlike Python's 2.0), others double; `{ float: x }` forces a floating Scalar.
c10::Scalar toScalar(Napi::Env env, const OpEntry& op, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
      return c10::Scalar(static_cast<int64_t>(d));
    }
    return c10::Scalar(d);
  }
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsObject()) {
    Napi::Value f = v.As<Napi::Object>().Get("float");
    if (f.IsNumber()) return c10::Scalar(f.As<Napi::Number>().DoubleValue());
  }
  argError(env, op, a, "a number or boolean (Scalar)");
}

c10::IValue convert(Napi::Env env, const OpEntry& op, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsUndefined()) {
    if (a.hasDefault) return a.defaultValue;
    if (a.optional) return c10::IValue();
    throwType(env, op.name + ": missing argument '" + a.name + "'");
  }
  if (v.IsNull()) {
    if (a.optional) return c10::IValue();
    throwType(env, op.name + ": argument '" + a.name + "' may not be null");
  }
  switch (a.kind) {
    case ArgKind::Tensor:
      if (!v.IsNumber()) argError(env, op, a, "a Tensor");
      return tensorAt(env, v.As<Napi::Number>().Int32Value(), op.name.c_str());
    case ArgKind::TensorList: {
      if (!v.IsArray()) argError(env, op, a, "an array of Tensors");
      auto arr = v.As<Napi::Array>();
      c10::List<at::Tensor> out;
      out.reserve(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        Napi::Value e = arr.Get(i);
        if (!e.IsNumber()) argError(env, op, a, "an array of Tensors");
        out.push_back(tensorAt(env, e.As<Napi::Number>().Int32Value(), op.name.c_str()));
      }
      return out;
    }
    case ArgKind::OptTensorList: {
      if (!v.IsArray()) argError(env, op, a, "an array of Tensors or nulls");
      auto arr = v.As<Napi::Array>();
      c10::List<c10::optional<at::Tensor>> out;
      out.reserve(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        Napi::Value e = arr.Get(i);
        if (e.IsNull() || e.IsUndefined()) out.push_back(c10::nullopt);
        else if (e.IsNumber()) out.push_back(tensorAt(env, e.As<Napi::Number>().Int32Value(), op.name.c_str()));
        else argError(env, op, a, "an array of Tensors or nulls");
      }
      return out;
    }
    case ArgKind::Int: return toInt(env, op, a, v);
    case ArgKind::IntList: {
      std::vector<int64_t> out;
      if (v.IsArray()) {
        auto arr = v.As<Napi::Array>();
        out.resize(arr.Length());
        for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = toInt(env, op, a, arr.Get(i));
      } else if (v.IsNumber() && (a.fixedLen > 0 || a.name == "dim")) {
        // Python broadcasts a bare int for int[N] (stride=2) and accepts dim=1 for int[1].
        out.assign(a.fixedLen > 0 ? a.fixedLen : 1, toInt(env, op, a, v));
      } else {
        argError(env, op, a, "an array of integers");
      }
      return c10::IValue(out);
    }
    case ArgKind::Float: return toDouble(env, op, a, v);
    case ArgKind::FloatList: {
      if (!v.IsArray()) argError(env, op, a, "an array of numbers");
      auto arr = v.As<Napi::Array>();
      std::vector<double> out(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = toDouble(env, op, a, arr.Get(i));
      return c10::IValue(out);
    }
    case ArgKind::Bool:
      if (!v.IsBoolean()) argError(env, op, a, "a boolean");
      return v.As<Napi::Boolean>().Value();
    case ArgKind::BoolList: {
      c10::List<bool> out;
      if (v.IsArray()) {
        auto arr = v.As<Napi::Array>();
        for (uint32_t i = 0; i < arr.Length(); ++i) {
          Napi::Value e = arr.Get(i);
          if (!e.IsBoolean()) argError(env, op, a, "an array of booleans");
          out.push_back(e.As<Napi::Boolean>().Value());
        }
      } else if (v.IsBoolean() && a.fixedLen > 0) {
        for (int i = 0; i < a.fixedLen; ++i) out.push_back(v.As<Napi::Boolean>().Value());
      } else {
        argError(env, op, a, "an array of booleans");
      }
      return out;
    }
    case ArgKind::Scalar: return toScalar(env, op, a, v);
    case ArgKind::ScalarList: {
      if (!v.IsArray()) argError(env, op, a, "an array of numbers");
      auto arr = v.As<Napi::Array>();
      std::vector<c10::Scalar> out;
      out.reserve(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(toScalar(env, op, a, arr.Get(i)));
      return c10::IValue(out);
    }
    case ArgKind::ScalarType:
    case ArgKind::Layout:
    case ArgKind::MemoryFormat:
      // These enums travel as ints inside IValues; the TS layer maps names to codes.
      return toInt(env, op, a, v);
    case ArgKind::Device:
      if (!v.IsString()) argError(env, op, a, "a device string such as 'cpu' or 'cuda:0'");
      try {
        return c10::Device(v.As<Napi::String>().Utf8Value());
      } catch (const std::exception& e) {
        throwTorchError(env, op.name, e);
      }
    case ArgKind::Generator: {
      if (!v.IsNumber()) argError(env, op, a, "a Generator");
      State& st = state(env);
      int32_t id = v.As<Napi::Number>().Int32Value();
      if (id < 0 || static_cast<size_t>(id) >= st.generators.size() || !st.generators[id]) {
        argError(env, op, a, "a live Generator");
      }
      return *st.generators[id];
    }
    case ArgKind::String:
      if (!v.IsString()) argError(env, op, a, "a string");
      return v.As<Napi::String>().Utf8Value();
    case ArgKind::Unsupported: break;
  }
  throwType(env, op.name + ": argument '" + a.name + "' has a type the JS binding does not convert");
}

Napi::Value toJs(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return handleOrNull(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto l = v.toTensorList();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) a.Set(static_cast<uint32_t>(i), handleOrNull(env, l.get(i)));
    return a;
  }
  if (v.isIntList()) {
    auto l = v.toIntList();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(l.get(i))));
    return a;
  }
  if (v.isDoubleList()) {
    auto l = v.toDoubleList();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, l.get(i)));
    return a;
  }
  if (v.isList()) {
    auto l = v.toListRef();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) a.Set(static_cast<uint32_t>(i), toJs(env, l[i]));
    return a;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto a = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) a.Set(static_cast<uint32_t>(i), toJs(env, elems[i]));
    return a;
  }
  if (v.isScalar()) {
    c10::Scalar s = v.toScalar();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
    return Napi::Number::New(env, s.toDouble());
  }
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  return env.Undefined();
}

const char* kindName(ArgKind k) {
  switch (k) {
    case ArgKind::Tensor: return "Tensor";
    case ArgKind::TensorList: return "Tensor[]";
    case ArgKind::OptTensorList: return "Tensor?[]";
    case ArgKind::Int: return "int";
    case ArgKind::IntList: return "int[]";
    case ArgKind::Float: return "float";
    case ArgKind::FloatList: return "float[]";
    case ArgKind::Bool: return "bool";
    case ArgKind::BoolList: return "bool[]";
    case ArgKind::Scalar: return "Scalar";
    case ArgKind::ScalarList: return "Scalar[]";
    case ArgKind::ScalarType: return "ScalarType";
    case ArgKind::Layout: return "Layout";
    case ArgKind::MemoryFormat: return "MemoryFormat";
    case ArgKind::Device: return "Device";
    case ArgKind::Generator: return "Generator";
    case ArgKind::String: return "str";
    case ArgKind::Unsupported: return "unsupported";
  }
  return "unsupported";
}

// resolveOp(name, overload) -> { id, schema, args: [{name, kind, optional, hasDefault, kwargOnly}],
// returns: [{ isWrite }] }. Throws when the operator does not exist in this libtorch.
Napi::Value ResolveOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& st = state(env);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  if (name.find("::") == std::string::npos) name = "aten::" + name;
  std::string key = overload.empty() ? name : name + "." + overload;
  int32_t id;
  auto found = st.opIndex.find(key);
  if (found != st.opIndex.end()) {
    id = found->second;
  } else {
    auto h = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!h) {
      Napi::Error err = Napi::Error::New(env, "unknown operator " + key + " (not in this libtorch's dispatcher)");
      err.Set("op", Napi::String::New(env, key));
      throw err;
    }
    auto entry = std::make_unique<OpEntry>(OpEntry{key, *h, {}, {}});
    const auto& schema = h->schema();
    for (const auto& a : schema.arguments()) entry->args.push_back(specOf(a));
    for (const auto& r : schema.returns()) entry->returnIsWrite.push_back(r.alias_info() && r.alias_info()->isWrite());
    id = static_cast<int32_t>(st.ops.size());
    st.ops.push_back(std::move(entry));
    st.opIndex.emplace(key, id);
  }
  const OpEntry& op = *st.ops[id];
  const auto& schema = op.handle.schema();
  auto o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, id));
  std::ostringstream ss;
  ss << schema;
  o.Set("schema", Napi::String::New(env, ss.str()));
  auto args = Napi::Array::New(env, op.args.size());
  for (size_t i = 0; i < op.args.size(); ++i) {
    auto ao = Napi::Object::New(env);
    ao.Set("name", op.args[i].name);
    ao.Set("kind", kindName(op.args[i].kind));
    ao.Set("optional", op.args[i].optional);
    ao.Set("hasDefault", op.args[i].hasDefault);
    ao.Set("kwargOnly", schema.arguments()[i].kwarg_only());
    ao.Set("isWrite", schema.arguments()[i].alias_info() != nullptr && schema.arguments()[i].alias_info()->isWrite());
    args.Set(static_cast<uint32_t>(i), ao);
  }
  o.Set("args", args);
  auto rets = Napi::Array::New(env, op.returnIsWrite.size());
  for (size_t i = 0; i < op.returnIsWrite.size(); ++i) {
    auto ro = Napi::Object::New(env);
    ro.Set("isWrite", Napi::Boolean::New(env, op.returnIsWrite[i]));
    ro.Set("name", Napi::String::New(env, schema.returns()[i].name()));
    ro.Set("type", Napi::String::New(env, schema.returns()[i].type()->str()));
    rets.Set(static_cast<uint32_t>(i), ro);
  }
  o.Set("returns", rets);
  return o;
}

// call(opId, ...args): arguments in schema order; undefined takes the schema default.
// Returns: one value, or an array for several; write-aliased tensor returns come back as null.
Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& st = state(env);
  int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (id < 0 || static_cast<size_t>(id) >= st.ops.size()) throwType(env, "call: unknown op id");
  const OpEntry& op = *st.ops[id];
  size_t given = info.Length() - 1;
  if (given > op.args.size()) {
    throwType(env, op.name + ": takes " + std::to_string(op.args.size()) + " arguments, got " + std::to_string(given));
  }
  torch::jit::Stack stack;
  stack.reserve(op.args.size());
  for (size_t i = 0; i < op.args.size(); ++i) {
    stack.push_back(convert(env, op, op.args[i], i < given ? info[i + 1] : env.Undefined()));
  }
  SELFSUP_GUARD(env, op.name, { op.handle.callBoxed(stack); })
  size_t n = op.returnIsWrite.size();
  if (n == 0) return env.Undefined();
  if (n == 1) return op.returnIsWrite[0] ? env.Null() : toJs(env, stack[0]);
  auto out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; ++i) out.Set(static_cast<uint32_t>(i), op.returnIsWrite[i] ? env.Null() : toJs(env, stack[i]));
  return out;
}

// All operator names the dispatcher knows, as "ns::name.overload".
Napi::Value ListOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto names = c10::Dispatcher::singleton().getAllOpNames();
  auto a = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string s = names[i].name;
    if (!names[i].overload_name.empty()) s += "." + names[i].overload_name;
    a.Set(static_cast<uint32_t>(i), Napi::String::New(env, s));
  }
  return a;
}

}  // namespace

void initDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("resolveOp", Napi::Function::New(env, ResolveOp, "resolveOp"));
  exports.Set("call", Napi::Function::New(env, Call, "call"));
  exports.Set("listOps", Napi::Function::New(env, ListOps, "listOps"));
}

}  // namespace selfsup
