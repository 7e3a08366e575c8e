/**
 * @selfsup/torch — libtorch for TypeScript. `import * as torch from '@selfsup/torch'`.
 * PyTorch's names camelCased, keyword arguments as one options object, memory freed
 * deterministically with `dispose()`, `using` and `torch.tidy`.
 *
 * @module @selfsup/torch
 */
import { availableParallelism } from 'node:os';
import { native } from './native.js';

export { type DType, type MemoryFormat, type TypedArray, isFloatingPoint, isComplex, ITEM_SIZE } from './dtype.js';
export { Tensor, slice, type Scalar, type TensorOrScalar, type IndexSpec, type Slice, type Device } from './tensor.js';
export * from './creation.js';
export * from './math.js';
export { tidy, keep, scope, Scope, consume, memory, nativeHeap, trimNativeHeap, setGcSafetyNet } from './scope.js';
export type { MemoryStats } from './scope.js';
export type { NativeHeap } from './native.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, isInferenceModeEnabled } from './autograd.js';
export * as autograd from './autograd.js';
export { autocast, autocastState, type AutocastDevice, type AutocastOptions } from './amp.js';
export { manualSeed, Generator, defaultGenerator, getRngState, setRngState, useDeterministicAlgorithms } from './random.js';
export * as nn from './nn/index.js';
export { Module } from './nn/module.js';
export * as F from './functional.js';
export * as optim from './optim/index.js';
export * as distributed from './distributed.js';
export { ops, type Ops } from './ops.js';
export { save, load, type StateValue, type StateDict } from './serialization/index.js';
export * as safetensors from './serialization/safetensors.js';
export { removeStaleTemps, tempPath, writeAtomic as writeFileAtomic } from './serialization/atomic.js';
export { unpickle, PickledObject, PickledTuple, type UnpickleOptions } from './serialization/pickle.js';
export { TorchError, isTorchError } from './errors.js';

/** libtorch's version string (`'1.13.0'`, `'2.5.1'`, …). */
export const version: string = native.version();

/** libtorch's build configuration (`torch.__config__.show()`). */
export function buildConfig(): string {
  return native.config();
}

/** Sets libtorch's intra-op thread count (default: the available cores, or OMP_NUM_THREADS). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** One CUDA device as libtorch sees it (name, memory and capability need a build with the CUDA headers). */
export interface CudaDeviceInfo {
  index: number;
  name?: string;
  totalMemory?: number;
  capability?: string;
}

interface AccelNative {
  cudaSynchronize(index: number): void;
  cudaInfo(): { runtime: number; cudnn: number; devices: CudaDeviceInfo[] };
  backendFlags(set?: { cudnnBenchmark?: boolean; allowTF32Matmul?: boolean; allowTF32Cudnn?: boolean }): {
    cudnnBenchmark: boolean;
    allowTF32Matmul: boolean;
    allowTF32Cudnn: boolean;
  };
}
const accel = native as unknown as AccelNative;

/** `major.minor` of CUDA's integer version codes (12040 → 12.4; cuDNN 90100 → 9.1.0). */
function versionString(code: number, kind: 'cuda' | 'cudnn'): string | null {
  if (!code) return null;
  if (kind === 'cuda') return `${Math.floor(code / 1000)}.${Math.floor((code % 1000) / 10)}`;
  // cuDNN 9 encodes major*10000 + minor*100 + patch; cuDNN 8 major*1000 + minor*100 + patch.
  const major = code >= 90000 ? Math.floor(code / 10000) : Math.floor(code / 1000);
  const rest = code >= 90000 ? code % 10000 : code % 1000;
  return `${major}.${Math.floor(rest / 100)}.${rest % 100}`;
}

export const cuda = {
  /** Whether this libtorch was built with CUDA and sees a GPU. */
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
  /** Waits for all queued work on a device (`torch.cuda.synchronize`): time GPU code only after it. */
  synchronize: (index = 0): void => accel.cudaSynchronize(index),
  /** CUDA runtime and cuDNN versions libtorch was built with, and the visible devices. */
  info: (): { runtime: string | null; cudnn: string | null; devices: CudaDeviceInfo[] } => {
    const i = accel.cudaInfo();
    return { runtime: versionString(i.runtime, 'cuda'), cudnn: versionString(i.cudnn, 'cudnn'), devices: i.devices };
  },
};

/** libtorch's global backend switches (`torch.backends.cudnn.benchmark`, TF32 use). */
export const backends = {
  cudnn: {
    /** Let cuDNN time its algorithms per input shape and keep the fastest (default false, as PyTorch). */
    get benchmark(): boolean {
      return accel.backendFlags().cudnnBenchmark;
    },
    set benchmark(on: boolean) {
      accel.backendFlags({ cudnnBenchmark: on });
    },
    /** TF32 tensor cores in cuDNN convolutions (default true, as PyTorch). */
    get allowTF32(): boolean {
      return accel.backendFlags().allowTF32Cudnn;
    },
    set allowTF32(on: boolean) {
      accel.backendFlags({ allowTF32Cudnn: on });
    },
  },
  cuda: {
    matmul: {
      /** TF32 tensor cores in float32 matmuls (default false, as PyTorch ≥ 1.12). */
      get allowTF32(): boolean {
        return accel.backendFlags().allowTF32Matmul;
      },
      set allowTF32(on: boolean) {
        accel.backendFlags({ allowTF32Matmul: on });
      },
    },
  },
};

// libtorch's default was 1 thread on a 2-core VM (measured): use the cores unless told otherwise.
{
  const env = Number(process.env.OMP_NUM_THREADS);
  native.setNumThreads(Number.isInteger(env) && env > 0 ? env : availableParallelism());
}
