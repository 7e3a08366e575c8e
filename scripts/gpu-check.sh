#!/usr/bin/env bash
# The GPU check of selfsup, for a machine with an NVIDIA GPU and a CUDA build of PyTorch:
#   1. builds the libtorch addon against that PyTorch's torch/ directory (CUDA, cuDNN, NCCL when
#      nccl.h is found), compiling the sources in parallel;
#   2. runs the tests that exercise CUDA (tensor ops, autocast, GradScaler, checkpoints, NCCL, the
#      runner on cuda) against that same PyTorch;
#   3. runs bench/gpu_step.mjs (ResNet-50 SimCLR and ViT-B MAE steps, selfsup vs PyTorch, AMP) and
#      bench/device_augment.mjs (SimCLR views: host crop vs whole pipeline, the rest on the GPU).
# Usage: bash scripts/gpu-check.sh [out-dir]   (env: SELFSUP_PYTHON, NODE_INCLUDE, BENCH_ARGS)
# Needs node, g++, the npm packages (bash scripts/setup.sh minus the apt part) and the built dist/.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check}
mkdir -p "$out"
py=${SELFSUP_PYTHON:-python3}
export SELFSUP_PYTHON=$py
LIBTORCH=${LIBTORCH:-$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')}
export LIBTORCH
say() { echo "== $*" | tee -a "$out/summary.txt"; }

say "$(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
say "PyTorch $("$py" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())')"

build() {
  local lt=packages/torch/scripts/libtorch.mjs obj=packages/torch/build/Release/obj
  local cflags libs incs napi node_inc
  cflags=$(node $lt cflags) && libs=$(node $lt libs) && incs=$(node $lt include) || return 1
  napi=$(node -p "require('node-addon-api').include_dir")
  node_inc=${NODE_INCLUDE:-$(dirname "$(dirname "$(command -v node)")")/include/node}
  say "build flags: $cflags"
  mkdir -p "$obj"
  local pids=() f
  for f in packages/torch/native/*.cc; do
    # shellcheck disable=SC2046,SC2086
    g++ -c -fPIC -std=c++17 -O2 -fexceptions -frtti -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -Wno-unused-parameter \
      $cflags -I"$node_inc" -I"$napi" $(printf -- '-I%s ' $incs) "$f" -o "$obj/$(basename "$f" .cc).o" 2>"$obj/$(basename "$f" .cc).log" &
    pids+=($!)
  done
  local ok=0 p
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  if ((ok)); then
    cat "$obj"/*.log | grep -m 20 -E 'error' | tee -a "$out/summary.txt"
    return 1
  fi
  # shellcheck disable=SC2086
  g++ -shared -o packages/torch/build/Release/selfsup_torch.node "$obj"/*.o $libs
}

t0=$SECONDS
if ! build; then
  say "build with CUDA headers and NCCL failed; retrying without them"
  SELFSUP_NO_NCCL=1 SELFSUP_NO_CUDA_HEADERS=1 build || { say "build failed"; exit 1; }
fi
say "addon built in $((SECONDS - t0)) s"
node packages/selfsup/bin/selfsup.js version 2>&1 | tee -a "$out/summary.txt"

tests=(
  packages/torch/dist/test/cuda.test.js
  packages/torch/dist/test/amp.test.js
  packages/selfsup/dist/test/engine/device.test.js
  packages/selfsup/dist/test/data/loader/workers.test.js
)
t0=$SECONDS
node --test --test-reporter=spec "${tests[@]}" >"$out/tests.txt" 2>&1
say "device tests: exit $? in $((SECONDS - t0)) s; $(grep -E '^ℹ (tests|pass|fail|skipped)' "$out/tests.txt" | tr '\n' ' ')"
grep -E '✖|failing' "$out/tests.txt" | head -20 | tee -a "$out/summary.txt"

t0=$SECONDS
# shellcheck disable=SC2086
node bench/gpu_step.mjs ${BENCH_ARGS:-} >"$out/bench.txt" 2>&1
say "bench: exit $? in $((SECONDS - t0)) s"
tee -a "$out/summary.txt" <"$out/bench.txt"

t0=$SECONDS
node bench/device_augment.mjs --n 128 --runs 3 >"$out/device-augment.txt" 2>&1
say "device augmentation bench: exit $? in $((SECONDS - t0)) s"
tee -a "$out/summary.txt" <"$out/device-augment.txt"
