#!/usr/bin/env bash
# Pre-trains on a Slurm cluster, one process per GPU (MMSelfSup's tools/slurm_train.sh, same arguments):
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train options]
# srun starts GPUS tasks; each reads its rank from SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID and the
# rendezvous host from SLURM_NODELIST (selfsup train --launcher slurm); NCCL on GPUs.
set -euo pipefail
if (($# < 4)); then
  echo "usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train options]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC2086
srun -p "$PARTITION" \
  --job-name="$JOB_NAME" \
  --gres=gpu:"$GPUS_PER_NODE" \
  --ntasks="$GPUS" \
  --ntasks-per-node="$GPUS_PER_NODE" \
  --cpus-per-task="$CPUS_PER_TASK" \
  --kill-on-bad-exit=1 \
  ${SRUN_ARGS:-} \
  env OMP_NUM_THREADS="${OMP_NUM_THREADS:-$CPUS_PER_TASK}" \
  node "$here/packages/selfsup/bin/selfsup.js" train "$CONFIG" --work-dir "$WORK_DIR" --launcher slurm "$@"
