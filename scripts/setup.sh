#!/usr/bin/env bash
# One idempotent setup for selfsup: system packages, npm packages, the native addons, the build.
# Used by both Quick start commands and by CI. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libtorch-dev libjpeg62-turbo-dev libopenblas0-pthread libgloo-dev python3-torch python3-torchvision python3-protobuf python3-pil python3-sklearn dataset-fashion-mnist chromium g++ make python3)

have_libtorch() {
  if [[ -n "${LIBTORCH:-}" ]]; then [[ -f "$LIBTORCH/include/ATen/ATen.h" ]]; else [[ -f /usr/include/ATen/ATen.h ]]; fi
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "selfsup setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif ! have_libtorch; then
    cat >&2 <<MSG
selfsup setup: cannot install system packages here (need root on Debian 12 / Ubuntu with apt-get).
Install these yourself:  apt-get install ${missing[*]}
or point LIBTORCH at any libtorch and re-run:
  LIBTORCH=/path/to/libtorch bash scripts/setup.sh     # the official libtorch zip (CPU or CUDA), or
  LIBTORCH=\$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') bash scripts/setup.sh
Tests also need Python with torch and torchvision (python3-torch, python3-torchvision).
MSG
    exit 1
  else
    echo "selfsup setup: not root: skipping apt; using libtorch at ${LIBTORCH:-/usr}. Missing: ${missing[*]}" >&2
  fi
elif ! command -v dpkg-query >/dev/null 2>&1 && ! have_libtorch; then
  echo "selfsup setup: not a Debian/Ubuntu system and LIBTORCH is not set: set LIBTORCH to a libtorch directory (include/ and lib/)." >&2
  exit 1
fi

# node-gyp must use the local Node headers: it cannot download them offline.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
if [[ ! -d /usr/include/node ]]; then
  export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
fi

# onnxruntime-node (tests of ONNX export) ships its CPU binaries; its install script would fetch CUDA ones.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.selfsup-npm-stamp
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

addon=packages/torch/build/Release/selfsup_torch.node
if [[ ! -f $addon || -n $(find packages/torch/native packages/torch/binding.gyp -newer "$addon" 2>/dev/null) ]]; then
  echo "selfsup setup: building the native addon (about a minute)"
  (cd packages/torch && npx node-gyp rebuild --nodedir="$npm_config_nodedir" -j 2 --loglevel=warn)
fi

pixels=packages/selfsup/build/Release/selfsup_pixels.node
if [[ ! -f $pixels || -n $(find packages/selfsup/native packages/selfsup/binding.gyp -newer "$pixels" 2>/dev/null) ]]; then
  echo "selfsup setup: building the pixel kernels (JPEG decoding, Pillow's resampling, colour and blur)"
  (cd packages/selfsup && npx node-gyp rebuild --nodedir="$npm_config_nodedir" -j 2 --loglevel=warn)
fi

npm run build --silent
