/** Seeding and random number generators (PyTorch's `torch.manual_seed`, `torch.Generator`). */
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Seeds the default CPU generator and every CUDA device's. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new TypeError(`manualSeed: expected a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** A random number generator, passed as `{ generator }` to random ops. */
export class Generator implements Disposable {
  readonly id: number;
  readonly device: string;

  constructor(device = 'cpu', id?: number) {
    this.device = device;
    this.id = id ?? native.newGenerator(device);
  }

  manualSeed(seed: number): this {
    native.generatorManualSeed(this.id, seed);
    return this;
  }

  initialSeed(): number {
    return native.generatorInitialSeed(this.id);
  }

  /** The generator's full state as a uint8 tensor (save it to resume a run exactly). */
  getState(): Tensor {
    return new Tensor(native.generatorGetState(this.id));
  }

  setState(state: Tensor): this {
    native.generatorSetState(this.id, state.handle);
    return this;
  }

  dispose(): void {
    native.freeGenerator(this.id);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

let defaultCpu: Generator | undefined;

/** The process-wide default generator of a device (`torch.default_generator`). */
export function defaultGenerator(device = 'cpu'): Generator {
  if (device === 'cpu') {
    defaultCpu ??= new Generator('cpu', native.defaultGenerator('cpu'));
    return defaultCpu;
  }
  return new Generator(device, native.defaultGenerator(device));
}

/** State of the default CPU generator (`torch.get_rng_state`). */
export function getRngState(): Tensor {
  return defaultGenerator().getState();
}

export function setRngState(state: Tensor): void {
  defaultGenerator().setState(state);
}

/** Makes libtorch refuse nondeterministic kernels (`torch.use_deterministic_algorithms`). */
export function useDeterministicAlgorithms(on: boolean): void {
  native.setDeterministic(on);
}
