/**
 * The momentum (EMA) target network of MoCo (He et al. 2020), BYOL (Grill et al. 2020), MoCo v3
 * (Chen et al. 2021), DenseCL and DINO (Caron et al. 2021): an online `Encoder` (backbone → neck)
 * and its averaged copy, with the momentum schedule — constant (MoCo v1/v2, DenseCL) or MMSelfSup's
 * `CosineEMA`, m = 1 − (1 − m₀)(cos(πk/K) + 1)/2 over the run's iterations (BYOL, MoCo v3, DINO).
 * Laid out as mmengine's `ExponentialMovingAverage` (`module.0.*` backbone, `module.1.*` neck,
 * `steps`) so MMSelfSup checkpoints load. Images are `(N, C, H, W)`.
 */
import * as torch from '@selfsup/torch';
import { nn, optim, type Tensor } from '@selfsup/torch';
import type { TrainProgress } from '../../core/progress.js';
import type { Backbone } from '../backbones/base.js';
import type { FeatureNeck } from '../registries.js';

/** Backbone then neck, with nn.Sequential's child names (`0`, `1`) as in MMSelfSup's encoders. */
export class Encoder<N extends FeatureNeck = FeatureNeck> extends nn.Module<[Tensor], Tensor[]> {
  constructor(
    readonly backbone: Backbone,
    readonly neck: N,
  ) {
    super();
    this.registerModule('0', backbone);
    this.registerModule('1', neck);
  }

  /** `(N, C, H, W)` → the neck's outputs. */
  forward(x: Tensor): Tensor[] {
    return torch.tidy(() => this.neck.forward(this.backbone.forward(x)));
  }
}

/** How the momentum moves over training. */
export type MomentumSchedule = 'constant' | 'cosine';

export interface MomentumTargetOptions {
  /** m₀: the weight of the old average at the start (MoCo 0.999, BYOL/MoCo v3/DINO 0.99–0.996). */
  baseMomentum: number;
  schedule: MomentumSchedule;
}

/**
 * The EMA copy of an online encoder. `step(progress)`: θ_t ← m·θ_t + (1 − m)·θ_o for parameters
 * with m from the schedule; buffers (BN statistics) are copied; the first step (steps = 0) copies
 * the online encoder.
 */
export class MomentumTarget<N extends FeatureNeck = FeatureNeck> extends nn.Module<[Tensor], Tensor[]> {
  readonly module: Encoder<N>;
  /** Updates done (int64 scalar, in the state dict as mmengine's `steps`). */
  readonly steps: Tensor;
  readonly baseMomentum: number;
  readonly schedule: MomentumSchedule;
  /** The momentum of the latest update (m₀ before the first). */
  momentum: number;

  /** `copy` must have `online`'s structure; it is overwritten with `online`'s weights and frozen. */
  constructor(
    private readonly online: Encoder,
    copy: Encoder<N>,
    opts: MomentumTargetOptions,
  ) {
    super();
    if (!(opts.baseMomentum >= 0 && opts.baseMomentum <= 1))
      throw new RangeError(`MomentumTarget: baseMomentum must be in [0, 1], got ${opts.baseMomentum}`);
    this.baseMomentum = opts.baseMomentum;
    this.schedule = opts.schedule;
    this.momentum = opts.baseMomentum;
    this.module = this.registerModule('module', copy);
    this.steps = this.registerBuffer('steps', torch.tensor(0, { dtype: 'int64' }));
    this.pairing().copyFrom();
  }

  /** The momentum at `progress` (m₀ for a constant schedule, or without progress). */
  momentumAt(progress?: TrainProgress): number {
    if (this.schedule === 'constant' || !progress || !(progress.maxIters > 0)) return this.baseMomentum;
    return optim.cosineMomentum(this.baseMomentum, progress.iter, progress.maxIters);
  }

  /** One update with the scheduled momentum; returns the momentum used. */
  step(progress?: TrainProgress): number {
    this.update(this.momentumAt(progress));
    return this.momentum;
  }

  /** One EMA update with momentum `m` (the weight of the old average). */
  update(momentum: number): void {
    const ema = this.pairing();
    if (this.steps.item() === 0) ema.copyFrom();
    else ema.update(momentum);
    this.momentum = momentum;
    torch.noGrad(() => this.steps.add_(1));
  }

  /**
   * The parameter/buffer pairing, made afresh for each update: layers may be swapped after
   * construction (the runner's `syncBn` converts BatchNorm to SyncBatchNorm), which replaces tensors.
   */
  private pairing(): optim.EMA {
    return new optim.EMA(this.online, this.module);
  }

  forward(x: Tensor): Tensor[] {
    return this.module.forward(x);
  }
}
