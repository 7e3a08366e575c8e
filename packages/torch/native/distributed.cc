// c10d process groups (PyTorch's own distributed backend): a TCPStore rendezvous plus Gloo
// collectives (CPU tensors, and CUDA tensors on a CUDA libtorch) or NCCL collectives (CUDA tensors,
// a CUDA libtorch ≥ 2 built with nccl.h found: USE_C10D_NCCL). Collectives are blocking (they wait for the Work): training loops
// are synchronous, and overlap comes from bucketing in the TS layer.
#include "state.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/api/include/torch/version.h>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>

namespace selfsup {

namespace {

#ifdef USE_C10D_GLOO

// libtorch 2 split process groups into a front and per-device backends; the collectives used here
// are on both.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> pg;
  int rank;
  int size;
};

std::vector<std::unique_ptr<Group>>& groups() {
  static std::vector<std::unique_ptr<Group>> g;
  return g;
}

Group& groupAt(Napi::Env env, const Napi::Value& v) {
  int id = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : -1;
  auto& g = groups();
  if (id < 0 || static_cast<size_t>(id) >= g.size() || !g[id]) throwType(env, "invalid or destroyed process group");
  return *g[id];
}

std::vector<at::Tensor> tensors(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throwType(env, std::string(what) + ": expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(tensorAt(env, a.Get(i), what));
  return out;
}

// newGroup(host, port, rank, size, timeoutMs, backend) -> id. Rank 0 hosts the TCPStore; backend is
// 'gloo' or 'nccl'.
Napi::Value NewGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string host = info[0].As<Napi::String>().Utf8Value();
  int port = info[1].As<Napi::Number>().Int32Value();
  int rank = info[2].As<Napi::Number>().Int32Value();
  int size = info[3].As<Napi::Number>().Int32Value();
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(info[4].As<Napi::Number>().DoubleValue()));
  std::string backend = info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "gloo";
  if (backend != "gloo" && backend != "nccl") throwType(env, "initProcessGroup: backend must be 'gloo' or 'nccl', got '" + backend + "'");
#ifndef USE_C10D_NCCL
  if (backend == "nccl") {
    throwType(env, "initProcessGroup: this build of the addon has no NCCL (it needs a CUDA libtorch >= 2 and nccl.h at build time); use backend 'gloo'");
  }
#endif
  if (size < 1 || rank < 0 || rank >= size) throwType(env, "initProcessGroup: need 0 <= rank < worldSize");
  auto g = std::make_unique<Group>();
  g->rank = rank;
  g->size = size;
  SELFSUP_GUARD(env, "initProcessGroup", {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<size_t>(size);
    so.waitWorkers = true;
    so.timeout = timeout;
    g->store = c10::make_intrusive<c10d::TCPStore>(host, so);
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      auto nopts = c10d::ProcessGroupNCCL::Options::create();
      nopts->timeout = timeout;
      g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, rank, size, nopts);
    }
#endif
    if (!g->pg) {
      auto opts = c10d::ProcessGroupGloo::Options::create();
      opts->timeout = timeout;
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (host == "127.0.0.1" || host == "localhost") {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, size, opts);
    }
  })
  groups().push_back(std::move(g));
  return Napi::Number::New(env, static_cast<double>(groups().size() - 1));
}

c10d::ReduceOp reduceOp(Napi::Env env, const std::string& op) {
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  throwType(env, "allReduce: op must be 'sum', 'avg', 'max', 'min' or 'product', got '" + op + "'");
}

// allReduce(id, tensors[], op): in place on every tensor.
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Group& g = groupAt(env, info[0]);
  auto ts = tensors(env, info[1], "allReduce");
  c10d::AllreduceOptions o;
  o.reduceOp = reduceOp(env, info[2].As<Napi::String>().Utf8Value());
  SELFSUP_GUARD(env, "allReduce", { g.pg->allreduce(ts, o)->wait(); })
  return env.Undefined();
}

// allGather(id, tensor) -> handles of every rank's tensor, in rank order.
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Group& g = groupAt(env, info[0]);
  const at::Tensor& t = tensorAt(env, info[1], "allGather");
  std::vector<std::vector<at::Tensor>> out(1);
  SELFSUP_GUARD(env, "allGather", {
    std::vector<at::Tensor> in{t.contiguous()};
    for (int i = 0; i < g.size; ++i) out[0].push_back(at::empty_like(in[0]));
    g.pg->allgather(out, in)->wait();
  })
  auto a = Napi::Array::New(env, out[0].size());
  for (size_t i = 0; i < out[0].size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, newHandle(env, out[0][i])));
  return a;
}

// All-gather whose backward sums every rank's gradient of the gathered list and hands each rank
// the slice of its own input (MMSelfSup's GatherLayer): what SimCLR / MoCo v3 negatives need.
struct GatherWithGrad : public torch::autograd::Function<GatherWithGrad> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t groupId) {
    Group& g = *groups().at(static_cast<size_t>(groupId));
    ctx->saved_data["group"] = groupId;
    std::vector<std::vector<at::Tensor>> out(1);
    std::vector<at::Tensor> in{x.contiguous()};
    for (int i = 0; i < g.size; ++i) out[0].push_back(at::empty_like(in[0]));
    g.pg->allgather(out, in)->wait();
    return out[0];
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    Group& g = *groups().at(static_cast<size_t>(ctx->saved_data["group"].toInt()));
    for (auto& t : grads) {
      if (!t.defined()) throw std::runtime_error("allGatherWithGrad: missing gradient for a gathered tensor");
    }
    std::vector<at::Tensor> all{at::stack(grads).contiguous()};
    g.pg->allreduce(all)->wait();
    return {all[0][g.rank], at::Tensor()};
  }
};

Napi::Value AllGatherWithGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  groupAt(env, info[0]);
  int64_t id = info[0].As<Napi::Number>().Int32Value();
  const at::Tensor& t = tensorAt(env, info[1], "allGatherWithGrad");
  torch::autograd::variable_list out;
  SELFSUP_GUARD(env, "allGatherWithGrad", { out = GatherWithGrad::apply(t, id); })
  auto a = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, newHandle(env, out[i])));
  return a;
}

// broadcast(id, tensors[], root): in place.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Group& g = groupAt(env, info[0]);
  auto ts = tensors(env, info[1], "broadcast");
  c10d::BroadcastOptions o;
  o.rootRank = info[2].As<Napi::Number>().Int32Value();
  if (o.rootRank < 0 || o.rootRank >= g.size) throwType(env, "broadcast: root rank out of range");
  SELFSUP_GUARD(env, "broadcast", { g.pg->broadcast(ts, o)->wait(); })
  return env.Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Group& g = groupAt(env, info[0]);
  SELFSUP_GUARD(env, "barrier", { g.pg->barrier()->wait(); })
  return env.Undefined();
}

Napi::Value DestroyGroup(const Napi::CallbackInfo& info) {
  int id = info[0].As<Napi::Number>().Int32Value();
  auto& g = groups();
  if (id >= 0 && static_cast<size_t>(id) < g.size()) g[id].reset();
  return info.Env().Undefined();
}

#endif

Napi::Value HasNccl(const Napi::CallbackInfo& info) {
#ifdef USE_C10D_NCCL
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value HasGloo(const Napi::CallbackInfo& info) {
#ifdef USE_C10D_GLOO
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void initDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("hasGloo", Napi::Function::New(env, HasGloo, "hasGloo"));
  exports.Set("hasNccl", Napi::Function::New(env, HasNccl, "hasNccl"));
#ifdef USE_C10D_GLOO
  exports.Set("pgNew", Napi::Function::New(env, NewGroup, "pgNew"));
  exports.Set("pgAllReduce", Napi::Function::New(env, AllReduce, "pgAllReduce"));
  exports.Set("pgAllGather", Napi::Function::New(env, AllGather, "pgAllGather"));
  exports.Set("pgAllGatherWithGrad", Napi::Function::New(env, AllGatherWithGrad, "pgAllGatherWithGrad"));
  exports.Set("pgBroadcast", Napi::Function::New(env, Broadcast, "pgBroadcast"));
  exports.Set("pgBarrier", Napi::Function::New(env, Barrier, "pgBarrier"));
  exports.Set("pgDestroy", Napi::Function::New(env, DestroyGroup, "pgDestroy"));
#endif
}

}  // namespace selfsup
