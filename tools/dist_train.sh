#!/usr/bin/env bash
# Pre-trains with GPUS processes on this machine, or across machines with a torchrun-style
# rendezvous (MMSelfSup's tools/dist_train.sh, same arguments and variables):
#   [NNODES=1] [NODE_RANK=0] [MASTER_ADDR=127.0.0.1] [PORT=29500] bash tools/dist_train.sh CONFIG GPUS [train options]
# Two nodes of 8 GPUs: run on each, with MASTER_ADDR the first node's address reachable from the other,
#   node 0:  NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CONFIG 8
#   node 1:  NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CONFIG 8
set -euo pipefail
if (($# < 2)); then
  echo "usage: bash tools/dist_train.sh CONFIG GPUS [train options]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
exec node "$here/packages/selfsup/bin/selfsup.js" train "$CONFIG" \
  --nproc-per-node "$GPUS" \
  --nnodes "${NNODES:-1}" \
  --node-rank "${NODE_RANK:-0}" \
  --master-addr "${MASTER_ADDR:-127.0.0.1}" \
  --master-port "${PORT:-29500}" \
  "$@"
