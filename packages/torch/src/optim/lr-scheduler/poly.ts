/**
 * `PolyLR`: polynomial decay from the initial value to `etaMin` over `totalIters` steps (the
 * "poly" policy of DeepLab, Chen et al. 2017, arXiv:1606.00915), as MMEngine's `PolyLR`
 * (PyTorch's `PolynomialLR` is the case `etaMin = 0`):
 *
 *   vₜ = η_min + (v₀ − η_min)(1 − t/T)^p,
 *
 * with PyTorch's chainable factor ((1 − t/T)/(1 − (t−1)/T))^p applied to vₜ₋₁ − η_min, so the
 * values equal PyTorch's exactly when `etaMin` is 0.
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, INF, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface PolyLROptions extends SchedulerOptions {
  /** Exponent p (default 1: linear decay). */
  power?: number;
  /** Final value (default 0). */
  etaMin?: number;
  /** Steps of the decay (default `end − begin − 1` with a finite `end`, else 5 as PyTorch). */
  totalIters?: number;
}

/** Polynomial decay of a hyperparameter to `etaMin` over `totalIters` steps. */
export class PolyLR extends ParamScheduler {
  readonly power: number;
  readonly etaMin: number;
  readonly totalIters: number;

  constructor(optimizer: HyperparamTarget, opts: PolyLROptions = {}) {
    super(optimizer, opts);
    this.power = opts.power ?? 1;
    this.etaMin = opts.etaMin ?? 0;
    this.totalIters = opts.totalIters ?? (this.end < INF ? this.end - this.begin - 1 : 5);
    this.start();
  }

  /** An iteration-based PolyLR from epoch-based options. */
  static fromEpochs(optimizer: HyperparamTarget, opts: PolyLROptions, epochLength: number): PolyLR {
    return new PolyLR(optimizer, epochsToIters(opts, epochLength, ['totalIters']));
  }

  protected getValue(): number[] {
    const t = this.lastStep;
    const T = this.totalIters;
    if (t === 0 || t > T) return this.currentAll();
    const factor = ((1 - t / T) / (1 - (t - 1) / T)) ** this.power;
    return this.currentAll().map((v) => (v - this.etaMin) * factor + this.etaMin);
  }

  protected override settings(): Record<string, number> {
    return { power: this.power, eta_min: this.etaMin, total_iters: this.totalIters };
  }
}
