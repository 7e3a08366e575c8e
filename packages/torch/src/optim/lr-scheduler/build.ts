/**
 * Schedules from config records, as MMEngine's `param_scheduler` list:
 *
 * ```ts
 * const schedulers = buildParamSchedulers(opt, [
 *   { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 10, convertToIterBased: true },
 *   { type: 'CosineAnnealingLR', byEpoch: true, begin: 10, end: 300, etaMin: 1e-6 },
 * ], { epochLength: iterationsPerEpoch });
 * // after each iteration: schedulers.stepIter();  after each epoch: schedulers.stepEpoch();
 * ```
 *
 * Each entry is active on its `[begin, end)` steps; `convertToIterBased` turns an epoch-based entry
 * into an iteration-based one (begin/end and period options × `epochLength`), so a warm-up given
 * in epochs still changes the lr every iteration.
 */
import type { HyperparamTarget } from '../optimizer.js';
import { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine.js';
import { ExponentialLR, type ExponentialLROptions } from './exponential.js';
import { LinearLR, type LinearLROptions } from './linear.js';
import { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
import type { ParamScheduler, SchedulerState } from './param-scheduler.js';
import { PolyLR, type PolyLROptions } from './poly.js';
import { MultiStepLR, type MultiStepLROptions, StepLR, type StepLROptions } from './step.js';

type WithType<T extends string, O> = O & { type: T; convertToIterBased?: boolean };

/** One `param_scheduler` entry. */
export type SchedulerConfig =
  | WithType<'LinearLR', LinearLROptions>
  | WithType<'CosineAnnealingLR', CosineAnnealingLROptions>
  | WithType<'StepLR', StepLROptions>
  | WithType<'MultiStepLR', MultiStepLROptions>
  | WithType<'ExponentialLR', ExponentialLROptions>
  | WithType<'PolyLR', PolyLROptions>
  | WithType<'OneCycleLR', OneCycleLROptions>;

/** Several schedulers stepped together (MMEngine's list of `param_scheduler`s). */
export class ParamSchedulerList {
  constructor(readonly schedulers: ParamScheduler[]) {}

  /** Steps every scheduler. */
  step(): void {
    for (const s of this.schedulers) s.step();
  }

  /** Steps the iteration-based schedulers (call after each training iteration). */
  stepIter(): void {
    for (const s of this.schedulers) if (!s.byEpoch) s.step();
  }

  /** Steps the epoch-based schedulers (call after each epoch). */
  stepEpoch(): void {
    for (const s of this.schedulers) if (s.byEpoch) s.step();
  }

  stateDict(): SchedulerState[] {
    return this.schedulers.map((s) => s.stateDict());
  }

  loadStateDict(states: Partial<SchedulerState>[]): void {
    if (states.length !== this.schedulers.length)
      throw new RangeError(`ParamSchedulerList: ${states.length} saved schedulers for ${this.schedulers.length}`);
    states.forEach((s, i) => {
      this.schedulers[i].loadStateDict(s);
    });
  }
}

/** Builds one scheduler from its config (converting epochs to iterations when asked). */
export function buildParamScheduler(
  optimizer: HyperparamTarget,
  cfg: SchedulerConfig,
  opts: { epochLength?: number } = {},
): ParamScheduler {
  const { type, convertToIterBased, ...rest } = cfg;
  const convert = convertToIterBased === true && rest.byEpoch !== false;
  const L = opts.epochLength ?? 0;
  if (convert && !(L > 0)) throw new RangeError(`${type}: convertToIterBased needs epochLength`);
  switch (cfg.type) {
    case 'LinearLR': {
      const o = rest as LinearLROptions;
      return convert ? LinearLR.fromEpochs(optimizer, o, L) : new LinearLR(optimizer, o);
    }
    case 'CosineAnnealingLR': {
      const o = rest as CosineAnnealingLROptions;
      return convert ? CosineAnnealingLR.fromEpochs(optimizer, o, L) : new CosineAnnealingLR(optimizer, o);
    }
    case 'StepLR': {
      const o = rest as StepLROptions;
      return convert ? StepLR.fromEpochs(optimizer, o, L) : new StepLR(optimizer, o);
    }
    case 'MultiStepLR': {
      const o = rest as MultiStepLROptions;
      return convert ? MultiStepLR.fromEpochs(optimizer, o, L) : new MultiStepLR(optimizer, o);
    }
    case 'ExponentialLR': {
      const o = rest as ExponentialLROptions;
      return convert ? ExponentialLR.fromEpochs(optimizer, o, L) : new ExponentialLR(optimizer, o);
    }
    case 'PolyLR': {
      const o = rest as PolyLROptions;
      return convert ? PolyLR.fromEpochs(optimizer, o, L) : new PolyLR(optimizer, o);
    }
    case 'OneCycleLR': {
      const o = rest as OneCycleLROptions;
      return convert ? OneCycleLR.fromEpochs(optimizer, o, L) : new OneCycleLR(optimizer, o);
    }
    default:
      throw new TypeError(`unknown scheduler type '${(cfg as { type: string }).type}'`);
  }
}

/** Builds MMEngine's `param_scheduler` list (in order; later entries see earlier ones' values). */
export function buildParamSchedulers(
  optimizer: HyperparamTarget,
  configs: SchedulerConfig[],
  opts: { epochLength?: number } = {},
): ParamSchedulerList {
  return new ParamSchedulerList(configs.map((c) => buildParamScheduler(optimizer, c, opts)));
}
