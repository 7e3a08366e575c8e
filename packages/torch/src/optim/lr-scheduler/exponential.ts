/**
 * `ExponentialLR`: the value is multiplied by `gamma` every step, vₜ = v₀·γᵗ (PyTorch's chainable
 * form vₜ = vₜ₋₁·γ).
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface ExponentialLROptions extends SchedulerOptions {
  /** Multiplicative factor per step. */
  gamma: number;
}

/** Multiplies a hyperparameter by `gamma` every step. */
export class ExponentialLR extends ParamScheduler {
  readonly gamma: number;

  constructor(optimizer: HyperparamTarget, opts: ExponentialLROptions) {
    super(optimizer, opts);
    this.gamma = opts.gamma;
    this.start();
  }

  /** An iteration-based ExponentialLR from epoch-based options (as MMEngine, `gamma` then applies per iteration). */
  static fromEpochs(optimizer: HyperparamTarget, opts: ExponentialLROptions, epochLength: number): ExponentialLR {
    return new ExponentialLR(optimizer, epochsToIters(opts, epochLength));
  }

  protected getValue(): number[] {
    if (this.lastStep === 0) return this.currentAll();
    return this.currentAll().map((v) => v * this.gamma);
  }

  protected override settings(): Record<string, number> {
    return { gamma: this.gamma };
  }
}
