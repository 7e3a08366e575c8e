/**
 * @selfsup/torch — libtorch for TypeScript. `import * as torch from '@selfsup/torch'`.
 * PyTorch's names camelCased, keyword arguments as one options object, memory freed
 * deterministically with `dispose()`, `using` and `torch.tidy`.
 */
import { availableParallelism } from 'node:os';
import { native } from './native.js';

export { type DType, type MemoryFormat, type TypedArray, isFloatingPoint, isComplex, ITEM_SIZE } from './dtype.js';
export { Tensor, slice, type Scalar, type TensorOrScalar, type IndexSpec, type Slice, type Device } from './tensor.js';
export * from './creation.js';
export * from './math.js';
export { tidy, keep, scope, Scope, memory, setGcSafetyNet } from './scope.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, isInferenceModeEnabled } from './autograd.js';
export * as autograd from './autograd.js';
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

export const cuda = {
  /** Whether this libtorch was built with CUDA and sees a GPU. */
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
};

// libtorch's default was 1 thread on a 2-core VM (measured): use the cores unless told otherwise.
{
  const env = Number(process.env.OMP_NUM_THREADS);
  native.setNumThreads(Number.isInteger(env) && env > 0 ? env : availableParallelism());
}
