/**
 * Base of the parameter schedulers: PyTorch's `_LRScheduler` generalised as MMEngine's
 * `_ParamScheduler`, so any numeric hyperparameter of the groups (`lr`, `momentum` — Adam's β₁ —,
 * `weightDecay`) follows a schedule that is active on the global steps `[begin, end)`.
 *
 * Semantics (identical to PyTorch with `begin = 0`, `end = ∞`, and to MMEngine otherwise):
 * - construction records each group's current value as its initial value (`initial_lr`, unless a
 *   previous scheduler did) and takes step 0;
 * - `step()` advances the global step; inside `[begin, end)` it advances the scheduler's own step
 *   `lastStep` (0 at `begin`) and sets the groups' values from the scheduler's rule. The rules use
 *   PyTorch's chainable (recursive) forms, so several schedulers compose: a linear warm-up on
 *   `[0, 5)` followed by a cosine annealing on `[5, 100)` gives MMEngine's warm-up + cosine.
 * - `byEpoch` says whether the runner steps it after each epoch or each iteration (the scheduler
 *   itself only counts steps); `fromEpochs` converts epoch-based settings to iterations
 *   (MMEngine's `convert_to_iter_based`).
 */
import type { HyperparamTarget } from '../optimizer.js';

/** MMEngine's "infinite" end step. */
export const INF = 1e9;

/** Options every scheduler takes. */
export interface SchedulerOptions {
  /** The hyperparameter to schedule: `'lr'` (default), `'momentum'` (β₁ of Adam-like optimizers), `'weightDecay'`, … */
  param?: string;
  /** First global step at which the schedule applies (default 0). */
  begin?: number;
  /** Global step at which it stops (exclusive; default ∞). */
  end?: number;
  /** Stepped per epoch (true, MMEngine's default) or per iteration (false). */
  byEpoch?: boolean;
  /** Resume without a state dict: the index of the last step taken (default -1: a new schedule). */
  lastStep?: number;
}

/** A scheduler's state (MMEngine's names). */
export type SchedulerState = {
  param_name: string;
  begin: number;
  end: number;
  by_epoch: boolean;
  last_step: number;
  _global_step: number;
  base_values: number[];
  _last_value: number[];
  [setting: string]: number | boolean | string | number[] | null;
};

/** Base class: subclasses implement `getValue()` and call `this.start()` at the end of their constructor. */
export abstract class ParamScheduler {
  readonly param: string;
  readonly begin: number;
  readonly end: number;
  readonly byEpoch: boolean;
  /** The scheduler's own step (0 at `begin`); -1 before the first. */
  lastStep: number;
  /** Steps taken since construction (0 after construction). */
  globalStep = -1;
  /** The groups' initial values (PyTorch's `base_lrs`). */
  baseValues: number[];
  /** The groups' values after the last step. */
  lastValue: number[] = [];
  private started = false;

  constructor(
    protected readonly optimizer: HyperparamTarget,
    opts: SchedulerOptions = {},
  ) {
    this.param = opts.param ?? 'lr';
    this.begin = opts.begin ?? 0;
    this.end = opts.end ?? INF;
    this.byEpoch = opts.byEpoch ?? true;
    if (!(this.end > this.begin))
      throw new RangeError(`${this.constructor.name}: end (${this.end}) must be larger than begin (${this.begin})`);
    if (!optimizer.hasHyper(this.param))
      throw new TypeError(`${this.constructor.name}: the optimizer has no '${this.param}' to schedule`);
    const lastStep = opts.lastStep ?? -1;
    if (!Number.isInteger(lastStep) || lastStep < -1)
      throw new RangeError(`${this.constructor.name}: invalid lastStep ${lastStep}`);
    this.lastStep = lastStep;
    optimizer.paramGroups.forEach((g, i) => {
      if (lastStep === -1) {
        if (g.initial[this.param] === undefined) g.initial[this.param] = optimizer.getHyper(i, this.param);
      } else if (g.initial[this.param] === undefined) {
        throw new RangeError(`${this.constructor.name}: param group ${i} has no initial ${this.param} to resume from`);
      }
    });
    this.baseValues = optimizer.paramGroups.map((g) => g.initial[this.param]);
  }

  /** Takes the initial step (PyTorch and MMEngine step once at construction). Subclasses call it last. */
  protected start(): void {
    if (this.started) return;
    this.started = true;
    this.step();
  }

  /** The group values for the current `lastStep` (chainable form: may read the current values). */
  protected abstract getValue(): number[];

  /** The current value of group `i`. */
  protected current(i: number): number {
    return this.optimizer.getHyper(i, this.param);
  }

  /** The current values of all groups. */
  protected currentAll(): number[] {
    return this.optimizer.paramGroups.map((_, i) => this.current(i));
  }

  /** Advances one step (an epoch or an iteration, by `byEpoch`) and updates the groups. */
  step(): void {
    this.globalStep += 1;
    if (this.begin <= this.globalStep && this.globalStep < this.end) {
      this.lastStep += 1;
      const values = this.getValue();
      values.forEach((v, i) => {
        this.optimizer.setHyper(i, this.param, v);
      });
    }
    this.lastValue = this.currentAll();
  }

  /** The values after the last step (`get_last_lr()`). */
  getLastValue(): number[] {
    return [...this.lastValue];
  }

  /** This scheduler's settings, saved in its state dict (snake_case). */
  protected settings(): Record<string, number | boolean | string | number[] | null> {
    return {};
  }

  /** Counters, base values and settings (MMEngine's names). */
  stateDict(): SchedulerState {
    return {
      ...this.settings(),
      param_name: this.param,
      begin: this.begin,
      end: this.end,
      by_epoch: this.byEpoch,
      last_step: this.lastStep,
      _global_step: this.globalStep,
      base_values: [...this.baseValues],
      _last_value: [...this.lastValue],
    };
  }

  /** Restores the counters and base values (the settings come from the constructor). */
  loadStateDict(sd: Partial<SchedulerState>): void {
    if (typeof sd.last_step === 'number') this.lastStep = sd.last_step;
    if (typeof sd._global_step === 'number') this.globalStep = sd._global_step;
    if (Array.isArray(sd.base_values)) this.baseValues = [...sd.base_values];
    if (Array.isArray(sd._last_value)) this.lastValue = [...sd._last_value];
  }
}

/** Multiplies the time-like options by `epochLength` (MMEngine's `build_iter_from_epoch`). */
export function epochsToIters<O extends SchedulerOptions>(opts: O, epochLength: number, keys: readonly (keyof O)[] = []): O {
  if (!(Number.isInteger(epochLength) && epochLength > 0))
    throw new RangeError(`epochLength must be a positive integer, got ${epochLength}`);
  if (opts.byEpoch === false) throw new RangeError('only epoch-based schedules (byEpoch true) can be converted to iterations');
  const out: O = { ...opts, byEpoch: false };
  out.begin = Math.trunc((opts.begin ?? 0) * epochLength);
  if (opts.end !== undefined && opts.end !== INF) out.end = Math.trunc(opts.end * epochLength);
  for (const k of keys) {
    const v = opts[k];
    if (typeof v === 'number') out[k] = (v * epochLength) as O[typeof k];
    else if (Array.isArray(v)) out[k] = v.map((e: number) => e * epochLength) as O[typeof k];
  }
  return out;
}
