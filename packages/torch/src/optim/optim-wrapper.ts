/**
 * `OptimWrapper`, as MMEngine's `OptimWrapper`/`AmpOptimWrapper`: one call per iteration,
 * `updateParams(loss)`, that does the backward pass, gradient accumulation over
 * `accumulativeCounts` iterations (the loss scaled by 1/accumulativeCounts, and by the remainder
 * for a last incomplete window), optional gradient clipping, the optimizer step and `zeroGrad`.
 * With a `GradScaler` it does mixed-precision loss scaling (unscale before clipping, skip
 * overflowing steps); with `autocast`, `optimContext(fn)` runs the forward pass in an autocast
 * region (MMEngine's `AmpOptimWrapper.optim_context`).
 *
 * Schedulers accept an `OptimWrapper` wherever they accept an optimizer.
 */
import { type AutocastDevice, autocast } from '../amp.js';
import type { DType } from '../dtype.js';
import { tidy } from '../scope.js';
import type { StateDict } from '../serialization/state.js';
import type { Tensor } from '../tensor.js';
import type { AnyModule } from '../nn/module.js';
import { clipGradNorm_, clipGradValue_ } from './clip.js';
import type { GradScaler, GradScalerState } from './grad-scaler.js';
import type { HyperparamTarget, Optimizer, ParamGroup } from './optimizer.js';

/** Gradient clipping of an `OptimWrapper`: by norm (`clip_grad_norm_`) or by value. */
export type ClipGradOptions =
  | { type?: 'norm'; maxNorm: number; normType?: number; errorIfNonfinite?: boolean }
  | { type: 'value'; clipValue: number };

export interface OptimWrapperOptions {
  /** Iterations whose gradients are accumulated before a step (default 1). */
  accumulativeCounts?: number;
  /** Clip gradients before each step. */
  clipGrad?: ClipGradOptions | null;
  /** Mixed precision: scale the loss, unscale before clipping, skip steps with inf/NaN gradients. */
  gradScaler?: GradScaler | null;
  /** A fixed loss scale: the scaler still skips inf/NaN steps but keeps this scale (MMEngine's numeric `loss_scale`). */
  fixedLossScale?: number;
  /** Mixed precision: the autocast region `optimContext` opens around forward and loss. */
  autocast?: { deviceType: AutocastDevice; dtype: DType } | null;
}

/** What `updateParams` did this iteration. */
export interface UpdateResult {
  /** Whether this iteration ended an accumulation window (step attempted, gradients cleared). */
  updated: boolean;
  /** Whether the optimizer actually stepped (false when the grad scaler found inf/NaN). */
  stepped: boolean;
  /** Total gradient norm before clipping, when clipping by norm ran. */
  gradNorm?: number;
}

/** Optimizer wrapper with gradient accumulation, clipping and optional loss scaling (MMEngine's). */
export class OptimWrapper implements HyperparamTarget {
  readonly accumulativeCounts: number;
  readonly clipGrad: ClipGradOptions | null;
  readonly gradScaler: GradScaler | null;
  readonly autocast: { deviceType: AutocastDevice; dtype: DType } | null;
  private readonly fixedLossScale: number | undefined;
  private innerCount = 0;
  private initCounts = 0;
  private maxCounts = -1;
  private remainderCounts = -1;

  constructor(
    readonly optimizer: Optimizer,
    opts: OptimWrapperOptions = {},
  ) {
    this.accumulativeCounts = opts.accumulativeCounts ?? 1;
    if (!Number.isInteger(this.accumulativeCounts) || this.accumulativeCounts < 1)
      throw new RangeError(`OptimWrapper: accumulativeCounts must be a positive integer, got ${this.accumulativeCounts}`);
    this.clipGrad = opts.clipGrad ?? null;
    this.gradScaler = opts.gradScaler ?? null;
    this.autocast = opts.autocast ?? null;
    this.fixedLossScale = opts.fixedLossScale;
  }

  /** Runs the forward pass and loss: in the autocast region when mixed precision is on, else as is. */
  optimContext<T>(fn: () => T): T {
    const a = this.autocast;
    return a ? autocast(a.deviceType, { dtype: a.dtype }, fn) : fn();
  }

  // ---- HyperparamTarget ------------------------------------------------------------------------
  get paramGroups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }
  getHyper(groupIndex: number, name: string): number {
    return this.optimizer.getHyper(groupIndex, name);
  }
  setHyper(groupIndex: number, name: string, value: number): void {
    this.optimizer.setHyper(groupIndex, name, value);
  }
  hasHyper(name: string): boolean {
    return this.optimizer.hasHyper(name);
  }

  /** Iterations counted so far (backward passes). */
  get count(): number {
    return this.innerCount;
  }

  /**
   * Sets the iteration counter when (re)starting a run: `initCounts` iterations done of
   * `maxCounts`, so that a final window shorter than `accumulativeCounts` divides the loss by its
   * own length. Warns about accumulation with batch norm (its statistics see single batches).
   */
  initializeCountStatus(initCounts: number, maxCounts: number, model?: AnyModule): void {
    this.innerCount = initCounts;
    this.initCounts = initCounts;
    this.maxCounts = maxCounts;
    if (initCounts % this.accumulativeCounts !== 0)
      process.emitWarning('OptimWrapper: resumed iteration number is not divisible by accumulativeCounts');
    if (model && this.accumulativeCounts > 1) {
      for (const m of model.modules()) {
        if (/BatchNorm/.test(m.constructor.name)) {
          process.emitWarning('OptimWrapper: gradient accumulation with batch norm: its statistics use single batches');
          break;
        }
      }
    }
    this.remainderCounts = (maxCounts - initCounts) % this.accumulativeCounts;
  }

  /**
   * Changes the run's length mid-run (a schedule re-fitted to a time budget): the accumulation
   * windows stay where they were, counted from `initCounts`; the last one ends at `maxCounts`.
   */
  setMaxCounts(maxCounts: number): void {
    if (!(Number.isInteger(maxCounts) && maxCounts > this.innerCount))
      throw new RangeError(
        `OptimWrapper.setMaxCounts: ${maxCounts} must be an integer above the ${this.innerCount} iterations counted`,
      );
    this.maxCounts = maxCounts;
    this.remainderCounts = (maxCounts - this.initCounts) % this.accumulativeCounts;
  }

  /** The loss divided by the accumulation factor of the current window. */
  scaleLoss(loss: Tensor): Tensor {
    let factor: number;
    if (this.accumulativeCounts === 1) factor = 1;
    else if (this.maxCounts === -1) factor = this.accumulativeCounts;
    else if (this.innerCount < this.maxCounts - this.remainderCounts) factor = this.accumulativeCounts;
    else factor = this.remainderCounts;
    if (!(factor > 0)) throw new RangeError('OptimWrapper: loss factor must be positive (check initializeCountStatus)');
    return factor === 1 ? loss : loss.div(factor);
  }

  /** Backward of `loss` (scaled by the grad scaler if any) and one more iteration counted. */
  backward(loss: Tensor, opts: { retainGraph?: boolean } = {}): void {
    tidy(() => {
      const l = this.gradScaler ? this.gradScaler.scale(loss) : loss;
      l.backward(null, opts);
    });
    this.innerCount += 1;
  }

  /** Whether the current iteration ends an accumulation window. */
  shouldUpdate(): boolean {
    return this.innerCount % this.accumulativeCounts === 0 || this.innerCount === this.maxCounts;
  }

  /** Clip (after unscaling) and step. Returns whether the optimizer stepped and the gradient norm. */
  step(): { stepped: boolean; gradNorm?: number } {
    let gradNorm: number | undefined;
    if (this.gradScaler && this.clipGrad) this.gradScaler.unscale_(this.optimizer);
    if (this.clipGrad) gradNorm = this.clip();
    let stepped: boolean;
    if (this.gradScaler) {
      stepped = this.gradScaler.step(this.optimizer);
      this.gradScaler.update(this.fixedLossScale);
    } else {
      this.optimizer.step();
      stepped = true;
    }
    return gradNorm === undefined ? { stepped } : { stepped, gradNorm };
  }

  private clip(): number | undefined {
    const c = this.clipGrad;
    if (!c) return undefined;
    const params = this.optimizer.paramGroups.flatMap((g) => g.params).filter((p) => p.requiresGrad);
    if (c.type === 'value') {
      clipGradValue_(params, c.clipValue);
      return undefined;
    }
    return clipGradNorm_(params, c.maxNorm, c.normType ?? 2, { errorIfNonfinite: c.errorIfNonfinite });
  }

  /** Clears the gradients (dropped by default, as PyTorch 2). */
  zeroGrad(setToNone = true): void {
    this.optimizer.zeroGrad(setToNone);
  }

  /**
   * One training iteration's update: scale the loss for accumulation, backward, and at the end of
   * each accumulation window clip, step and clear the gradients.
   */
  updateParams(loss: Tensor, opts: { zeroGradSetToNone?: boolean } = {}): UpdateResult {
    tidy(() => this.backward(this.scaleLoss(loss)));
    if (!this.shouldUpdate()) return { updated: false, stepped: false };
    const r = this.step();
    this.zeroGrad(opts.zeroGradSetToNone ?? true);
    return { updated: true, ...r };
  }

  /** Learning rates of the groups (`{ lr: [...] }`, as MMEngine's `get_lr`). */
  getLr(): { lr: number[] } {
    return { lr: this.paramGroups.map((_, i) => this.getHyper(i, 'lr')) };
  }

  /** Momentum (or Adam's β₁) of the groups; 0 where the optimizer has none. */
  getMomentum(): { momentum: number[] } {
    const has = this.hasHyper('momentum');
    return { momentum: this.paramGroups.map((_, i) => (has ? this.getHyper(i, 'momentum') : 0)) };
  }

  /** The optimizer's state dict, plus `loss_scaler` when a grad scaler is used (as AmpOptimWrapper). */
  stateDict(): StateDict {
    const sd = this.optimizer.stateDict();
    if (this.gradScaler) sd.loss_scaler = { ...this.gradScaler.stateDict() };
    return sd;
  }

  loadStateDict(sd: StateDict): void {
    const { loss_scaler: scaler, ...rest } = sd;
    if (this.gradScaler && scaler && typeof scaler === 'object' && !Array.isArray(scaler) && !('handle' in scaler)) {
      this.gradScaler.loadStateDict(scaler as Partial<GradScalerState>);
    }
    this.optimizer.loadStateDict(rest);
  }
}
