/**
 * The Node-API addon. Only this package talks to it; everything it takes and returns is an
 * integer tensor handle, a number, a string or an array of those.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryStats } from './scope.js';

export type Handle = number;

export interface OpArgInfo {
  name: string;
  kind: string;
  optional: boolean;
  hasDefault: boolean;
  kwargOnly: boolean;
  isWrite: boolean;
}

export interface OpInfo {
  id: number;
  schema: string;
  args: OpArgInfo[];
  returns: { isWrite: boolean; name: string; type: string }[];
}

export type NativeValue = Handle | number | boolean | string | null | undefined | NativeValue[];

/** glibc malloc's accounting over all arenas, in bytes (mallinfo2). */
export interface NativeHeap {
  available: true;
  /** Obtained from the OS: arenas plus separately mmapped blocks. */
  held: number;
  /** Allocated and not yet freed. */
  inUse: number;
  /** Freed and kept by the allocator for reuse. */
  free: number;
  /** Of `held`, in blocks mmapped on their own (returned to the OS as soon as they are freed). */
  mmapped: number;
  /** Whether the addon set malloc to keep freed memory (see native/runtime.cc; SELFSUP_MALLOC_TUNING=0 turns it off). */
  tuned: boolean;
}

export interface Native {
  /** Whether the addon tuned glibc malloc to keep freed memory (see native/runtime.cc). */
  readonly mallocTuned: boolean;
  version(): string;
  config(): string;
  /** A new tensor over a copy of the bytes; a list of parts is joined in order (one copy). */
  fromBuffer(data: ArrayBufferView | ArrayBuffer | (ArrayBufferView | ArrayBuffer)[], dtype: number, shape: number[]): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  free(h: Handle): void;
  freeMany(hs: Handle[]): void;
  /** Reports the handle's storage bytes to V8 as external memory until it is freed (GC-owned tensors). */
  reportToGc(h: Handle): void;
  alias(h: Handle): Handle;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dim(h: Handle): number;
  numel(h: Handle): number;
  dtype(h: Handle): number;
  device(h: Handle): string;
  isContiguous(h: Handle, memoryFormat?: number): boolean;
  storageOffset(h: Handle): number;
  item(h: Handle): number | boolean;
  memory(): MemoryStats;
  nativeHeap(): Omit<NativeHeap, 'tuned'> | { available: false };
  trimNativeHeap(pad?: number): boolean;
  resolveOp(name: string, overload: string): OpInfo;
  call(id: number, ...args: unknown[]): NativeValue;
  listOps(): string[];
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, on: boolean): void;
  isLeaf(h: Handle): boolean;
  gradFn(h: Handle): string | null;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  retainGrad(h: Handle): void;
  setData(h: Handle, other: Handle): void;
  backward(
    ts: Handle[],
    grads: (Handle | null)[],
    retainGraph: boolean | undefined,
    createGraph: boolean,
    inputs?: Handle[],
  ): void;
  autogradGrad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[],
    retainGraph: boolean | undefined,
    createGraph: boolean,
    allowUnused: boolean,
  ): (Handle | null)[];
  isGradEnabled(): boolean;
  setGradEnabled(on: boolean): void;
  enterInferenceMode(on: boolean): void;
  exitInferenceMode(): void;
  isInferenceMode(): boolean;
  isInference(h: Handle): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  manualSeed(seed: number): void;
  newGenerator(device: string): number;
  defaultGenerator(device: string): number;
  freeGenerator(id: number): void;
  generatorManualSeed(id: number, seed: number): void;
  generatorInitialSeed(id: number): number;
  generatorGetState(id: number): Handle;
  generatorSetState(id: number, h: Handle): void;
  setDeterministic(on: boolean): void;
}

function load(): Native {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/native.js -> package root is two levels up.
  const root = join(here, '..', '..');
  const candidates = [join(root, 'build', 'Release', 'selfsup_torch.node'), join(root, 'build', 'Debug', 'selfsup_torch.node')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `@selfsup/torch: the native addon is not built (looked for ${candidates[0]}). ` +
        'Run `bash scripts/setup.sh` from the repository root, or `npm run build:native -w @selfsup/torch` ' +
        'with libtorch installed (apt-get install libtorch-dev, or LIBTORCH=/path/to/libtorch).',
    );
  }
  const require = createRequire(import.meta.url);
  return require(found) as Native;
}

export const native: Native = load();
