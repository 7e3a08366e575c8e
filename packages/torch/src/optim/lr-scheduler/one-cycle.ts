/**
 * `OneCycleLR`: the 1cycle policy (Smith & Topin 2019, "Super-Convergence: Very Fast Training of
 * Neural Networks Using Large Learning Rates", arXiv:1708.07120), exactly as PyTorch's
 * `OneCycleLR`: the lr rises from `maxLr/divFactor` to `maxLr` over `pctStart` of `totalSteps`,
 * then anneals to `maxLr/(divFactor·finalDivFactor)` (cosine or linear); with `threePhase` it
 * first returns symmetrically to the initial lr and anneals in a third phase. With
 * `cycleMomentum` the momentum (Adam's β₁) moves inversely between `maxMomentum` and
 * `baseMomentum`. Not chainable: each value is computed from the phase boundaries.
 *
 * As PyTorch, it records `initial_lr`, `max_lr`, `min_lr` (and `max_momentum`, `base_momentum`) in
 * each group, so they are saved with the optimizer's state.
 */
import type { HyperparamTarget } from '../optimizer.js';
import { epochsToIters, INF, ParamScheduler, type SchedulerOptions } from './param-scheduler.js';

export interface OneCycleLROptions extends Omit<SchedulerOptions, 'param'> {
  /** Peak lr (one, or one per group). */
  maxLr: number | number[];
  /** Length of the cycle (default `epochs × stepsPerEpoch`, else `end − begin`). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum inversely to the lr (default true; needs an optimizer with momentum or betas). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Minimum lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Use three phases as the paper (default false: two phases as fastai). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'max' | 'base';
  endMomentum: 'max' | 'base';
}

function perGroup(name: string, v: number | number[], n: number): number[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw new RangeError(`OneCycleLR: expected ${n} values for ${name}, got ${v.length}`);
    return [...v];
  }
  return new Array<number>(n).fill(v);
}

/** The 1cycle lr (and inverse momentum) policy; `param` is always the lr. */
export class OneCycleLR extends ParamScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  readonly annealStrategy: 'cos' | 'linear';
  private readonly phases: Phase[];

  constructor(optimizer: HyperparamTarget, opts: OneCycleLROptions) {
    const n = optimizer.paramGroups.length;
    const lastStep = opts.lastStep ?? -1;
    const divFactor = opts.divFactor ?? 25;
    const finalDivFactor = opts.finalDivFactor ?? 1e4;
    const maxLrs = perGroup('maxLr', opts.maxLr, n);
    if (lastStep === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initial.lr = maxLrs[i] / divFactor;
        g.extra.max_lr = maxLrs[i];
        g.extra.min_lr = g.initial.lr / finalDivFactor;
      });
    }
    const cycleMomentum = opts.cycleMomentum ?? true;
    if (cycleMomentum) {
      if (!optimizer.hasHyper('momentum'))
        throw new TypeError('OneCycleLR: optimizer must support momentum with the cycleMomentum option enabled');
      if (lastStep === -1) {
        const maxM = perGroup('maxMomentum', opts.maxMomentum ?? 0.95, n);
        const baseM = perGroup('baseMomentum', opts.baseMomentum ?? 0.85, n);
        optimizer.paramGroups.forEach((g, i) => {
          optimizer.setHyper(i, 'momentum', maxM[i]);
          g.extra.max_momentum = maxM[i];
          g.extra.base_momentum = baseM[i];
        });
      }
    }
    super(optimizer, { ...opts, param: 'lr' });
    this.cycleMomentum = cycleMomentum;
    let total: number;
    if (opts.totalSteps !== undefined) total = opts.totalSteps;
    else if (opts.epochs !== undefined || opts.stepsPerEpoch !== undefined)
      total = (opts.epochs ?? 0) * (opts.stepsPerEpoch ?? 0);
    else if (this.end < INF) total = this.end - this.begin;
    else throw new RangeError('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch, or a finite end');
    if (!(Number.isInteger(total) && total > 0))
      throw new RangeError(`OneCycleLR: expected a positive integer total steps, got ${total}`);
    this.totalSteps = total;
    const pct = opts.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1], got ${pct}`);
    this.annealStrategy = opts.annealStrategy ?? 'cos';
    this.phases = opts.threePhase
      ? [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pct * total - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: total - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: total - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    this.start();
  }

  /** An iteration-based OneCycleLR from epoch-based options (`begin`/`end` scaled, as MMEngine). */
  static fromEpochs(optimizer: HyperparamTarget, opts: OneCycleLROptions, epochLength: number): OneCycleLR {
    return new OneCycleLR(optimizer, epochsToIters(opts, epochLength));
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  private lrOf(i: number, which: 'initial' | 'max' | 'min'): number {
    const g = this.optimizer.paramGroups[i];
    if (which === 'initial') return g.initial.lr;
    return g.extra[`${which}_lr`] as number;
  }

  protected getValue(): number[] {
    const stepNum = this.lastStep;
    if (stepNum > this.totalSteps)
      throw new RangeError(`OneCycleLR: tried to step ${stepNum + 1} times; the total number of steps is ${this.totalSteps}`);
    return this.optimizer.paramGroups.map((g, i) => {
      let startStep = 0;
      let lr = 0;
      for (let k = 0; k < this.phases.length; k++) {
        const phase = this.phases[k];
        const endStep = phase.endStep;
        if (stepNum <= endStep || k === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this.anneal(this.lrOf(i, phase.startLr), this.lrOf(i, phase.endLr), pct);
          if (this.cycleMomentum) {
            const m = this.anneal(
              g.extra[`${phase.startMomentum}_momentum`] as number,
              g.extra[`${phase.endMomentum}_momentum`] as number,
              pct,
            );
            this.optimizer.setHyper(i, 'momentum', m);
          }
          break;
        }
        startStep = phase.endStep;
      }
      return lr;
    });
  }

  protected override settings(): Record<string, number | boolean | string> {
    return { total_steps: this.totalSteps, cycle_momentum: this.cycleMomentum, anneal_strategy: this.annealStrategy };
  }
}
