/**
 * `CosineAnnealingLR`: cosine annealing from the initial value to `etaMin` over `tMax` steps
 * (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts",
 * arXiv:1608.03983, without restarts):
 *
 *   vₜ = η_min + (v₀ − η_min)(1 + cos(πt/T))/2,
 *
 * computed with PyTorch's chainable form (so it composes with a warm-up):
 *   vₜ = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (vₜ₋₁ − η_min) + η_min.
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, INF, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Half-period in steps (default `end − begin`; required when `end` is not given). */
  tMax?: number;
  /** Final value (default 0). */
  etaMin?: number;
  /** Final value as a ratio of each group's initial value (MMEngine's `eta_min_ratio`; instead of `etaMin`). */
  etaMinRatio?: number;
}

/** Cosine annealing of a hyperparameter to `etaMin` over `tMax` steps (SGDR without restarts). */
export class CosineAnnealingLR extends ParamScheduler {
  readonly tMax: number;
  readonly etaMin: number | null;
  readonly etaMinRatio: number | null;

  constructor(optimizer: HyperparamTarget, opts: CosineAnnealingLROptions = {}) {
    super(optimizer, opts);
    if (opts.etaMin !== undefined && opts.etaMinRatio !== undefined)
      throw new RangeError('CosineAnnealingLR: give etaMin or etaMinRatio, not both');
    this.etaMinRatio = opts.etaMinRatio ?? null;
    this.etaMin = this.etaMinRatio === null ? (opts.etaMin ?? 0) : null;
    const tMax = opts.tMax ?? (this.end < INF ? this.end - this.begin : undefined);
    if (tMax === undefined || !(tMax > 0)) throw new RangeError('CosineAnnealingLR: tMax (or a finite end) is required');
    this.tMax = tMax;
    this.start();
  }

  /** An iteration-based CosineAnnealingLR from epoch-based options (MMEngine's `convert_to_iter_based`). */
  static fromEpochs(optimizer: HyperparamTarget, opts: CosineAnnealingLROptions, epochLength: number): CosineAnnealingLR {
    return new CosineAnnealingLR(optimizer, epochsToIters(opts, epochLength, ['tMax']));
  }

  private etaMinOf(i: number): number {
    return this.etaMinRatio === null ? (this.etaMin as number) : this.baseValues[i] * this.etaMinRatio;
  }

  protected getValue(): number[] {
    const t = this.lastStep;
    const T = this.tMax;
    const cur = this.currentAll();
    if (t === 0) return cur;
    if ((t - 1 - T) % (2 * T) === 0) {
      return cur.map((v, i) => v + ((this.baseValues[i] - this.etaMinOf(i)) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return cur.map((v, i) => {
      const e = this.etaMinOf(i);
      return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (v - e) + e;
    });
  }

  protected override settings(): Record<string, number | null> {
    return { T_max: this.tMax, eta_min: this.etaMin, eta_min_ratio: this.etaMinRatio };
  }
}
