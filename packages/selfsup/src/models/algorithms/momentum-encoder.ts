/**
 * Encoders shared by the momentum-target algorithms (MoCo, MoCo v3, DenseCL, BYOL, DINO): an
 * online `Encoder` (backbone → neck) and its EMA copy `MomentumEncoder`, laid out as mmengine's
 * ExponentialMovingAverage (`module.0.*` backbone, `module.1.*` neck, `steps`) so MMSelfSup
 * checkpoints load. Images are `(N, C, H, W)`.
 */
import * as torch from '@selfsup/torch';
import { nn, optim, type Tensor } from '@selfsup/torch';
import type { Backbone } from '../backbones/base.js';
import type { Neck } from '../necks/neck.js';

/** Backbone then neck, with nn.Sequential's child names (`0`, `1`) as in MMSelfSup's encoders. */
export class Encoder extends nn.Module<[Tensor], Tensor[]> {
  constructor(
    readonly backbone: Backbone,
    readonly neck: Neck,
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

/**
 * A momentum (EMA) copy of an encoder — MoCo's key encoder, MoCo v3's momentum encoder — laid
 * out as mmengine's `ExponentialMovingAverage` (`module`, `steps`) so MMSelfSup checkpoints load.
 * `update(m)`: θ_k ← m·θ_k + (1 − m)·θ_q for parameters; buffers (BN statistics) are copied; the
 * first update (steps = 0) copies the online encoder.
 */
export class MomentumEncoder extends nn.Module<[Tensor], Tensor[]> {
  readonly module: Encoder;
  /** Updates done (int64 scalar, in the state dict as mmengine's `steps`). */
  readonly steps: Tensor;

  /** `copy` must have `online`'s structure; it is overwritten with `online`'s weights and frozen. */
  constructor(
    private readonly online: Encoder,
    copy: Encoder,
  ) {
    super();
    this.module = this.registerModule('module', copy);
    this.steps = this.registerBuffer('steps', torch.tensor(0, { dtype: 'int64' }));
    this.pairing().copyFrom();
  }

  /**
   * The parameter/buffer pairing, made afresh for each update: layers may be swapped after
   * construction (the runner's `syncBn` converts BatchNorm to SyncBatchNorm), which replaces tensors.
   */
  private pairing(): optim.EMA {
    return new optim.EMA(this.online, this.module);
  }

  /** One EMA step with momentum `m` (weight of the old average). */
  update(momentum: number): void {
    const ema = this.pairing();
    if (this.steps.item() === 0) ema.copyFrom();
    else ema.update(momentum);
    torch.noGrad(() => this.steps.add_(1));
  }

  forward(x: Tensor): Tensor[] {
    return this.module.forward(x);
  }
}
