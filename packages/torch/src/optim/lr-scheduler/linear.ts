/**
 * `LinearLR`: the value is multiplied by a factor that goes linearly from `startFactor` to
 * `endFactor` over `totalIters` steps, then stays (a linear warm-up, Goyal et al. 2017,
 * "Accurate, Large Minibatch SGD", arXiv:1706.02677). PyTorch's `LinearLR` / MMEngine's
 * `LinearLR`/`LinearParamScheduler`, with PyTorch's chainable form:
 *
 *   v₀ = v·start;  vₜ = vₜ₋₁·(1 + (end − start) / (T·start + (t − 1)(end − start)))  for 0 < t ≤ T.
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, INF, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface LinearLROptions extends SchedulerOptions {
  /** Factor at the first step (default 1/3). */
  startFactor?: number;
  /** Factor reached after `totalIters` steps (default 1). */
  endFactor?: number;
  /** Steps to reach `endFactor` (default `end − begin − 1` with a finite `end`, else 5 as PyTorch). */
  totalIters?: number;
}

/** Linear warm-up (or decay) of a hyperparameter by a factor from `startFactor` to `endFactor`. */
export class LinearLR extends ParamScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: HyperparamTarget, opts: LinearLROptions = {}) {
    super(optimizer, opts);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    if (this.startFactor > 1 || this.startFactor < 0) throw new RangeError('LinearLR: startFactor must be in [0, 1]');
    if (this.endFactor > 1 || this.endFactor < 0) throw new RangeError('LinearLR: endFactor must be in [0, 1]');
    this.totalIters = opts.totalIters ?? (this.end < INF ? this.end - this.begin - 1 : 5);
    this.start();
  }

  /** An iteration-based LinearLR from epoch-based options (MMEngine's `convert_to_iter_based`). */
  static fromEpochs(optimizer: HyperparamTarget, opts: LinearLROptions, epochLength: number): LinearLR {
    return new LinearLR(optimizer, epochsToIters(opts, epochLength, ['totalIters']));
  }

  protected getValue(): number[] {
    const t = this.lastStep;
    const { startFactor: s, endFactor: e, totalIters: T } = this;
    if (t === 0) return this.currentAll().map((v) => v * s);
    if (t > T) return this.currentAll();
    return this.currentAll().map((v) => v * (1 + (e - s) / (T * s + (t - 1) * (e - s))));
  }

  protected override settings(): Record<string, number> {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }
}
