/**
 * Step decays (the ResNet schedule of He et al. 2016, arXiv:1512.03385): `StepLR` multiplies the
 * value by `gamma` every `stepSize` steps, `MultiStepLR` at each milestone (PyTorch's chainable
 * forms; a milestone listed twice applies `gamma²`):
 *
 *   StepLR: vₜ = v₀·γ^⌊t/s⌋;   MultiStepLR: vₜ = v₀·γ^(milestones ≤ t).
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface StepLROptions extends SchedulerOptions {
  /** Period of the decay in steps. */
  stepSize: number;
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

/** Multiplies a hyperparameter by `gamma` every `stepSize` steps. */
export class StepLR extends ParamScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HyperparamTarget, opts: StepLROptions) {
    super(optimizer, opts);
    if (!(Number.isInteger(opts.stepSize) && opts.stepSize > 0))
      throw new RangeError('StepLR: stepSize must be a positive integer');
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.start();
  }

  /** An iteration-based StepLR from epoch-based options. */
  static fromEpochs(optimizer: HyperparamTarget, opts: StepLROptions, epochLength: number): StepLR {
    return new StepLR(optimizer, epochsToIters(opts, epochLength, ['stepSize']));
  }

  protected getValue(): number[] {
    const t = this.lastStep;
    if (t === 0 || t % this.stepSize !== 0) return this.currentAll();
    return this.currentAll().map((v) => v * this.gamma);
  }

  protected override settings(): Record<string, number> {
    return { step_size: this.stepSize, gamma: this.gamma };
  }
}

export interface MultiStepLROptions extends SchedulerOptions {
  /** Steps at which the value is multiplied by `gamma`. */
  milestones: number[];
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

/** Multiplies a hyperparameter by `gamma` at each milestone step (`gamma^k` for a milestone listed k times). */
export class MultiStepLR extends ParamScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  private readonly counts = new Map<number, number>();

  constructor(optimizer: HyperparamTarget, opts: MultiStepLROptions) {
    super(optimizer, opts);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    for (const m of this.milestones) this.counts.set(m, (this.counts.get(m) ?? 0) + 1);
    this.gamma = opts.gamma ?? 0.1;
    this.start();
  }

  /** An iteration-based MultiStepLR from epoch-based options. */
  static fromEpochs(optimizer: HyperparamTarget, opts: MultiStepLROptions, epochLength: number): MultiStepLR {
    return new MultiStepLR(optimizer, epochsToIters(opts, epochLength, ['milestones']));
  }

  protected getValue(): number[] {
    const n = this.counts.get(this.lastStep);
    if (n === undefined) return this.currentAll();
    return this.currentAll().map((v) => v * this.gamma ** n);
  }

  protected override settings(): Record<string, number | number[]> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }
}
