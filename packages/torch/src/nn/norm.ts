/** Normalisation layers: BatchNorm1d/2d, SyncBatchNorm, LayerNorm, GroupNorm. */
import { noGrad } from '../autograd.js';
import { full, ones, tensor, zeros } from '../creation.js';
import * as dist from '../distributed.js';
import { cat, stack } from '../math.js';
import { tidy } from '../scope.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { pyRepr } from './repr.js';

export interface BatchNormOptions {
  eps?: number;
  /** Running-average factor; `null` means a cumulative average over all batches. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) over the channel dim of `(N, C, …)`. Training uses
 * batch statistics and updates `running_mean`/`running_var` (unbiased variance) in place;
 * evaluation uses the running statistics when they are tracked.
 */
abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    o: BatchNormOptions = {},
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', this.affine ? ones([numFeatures]) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([numFeatures]) : null);
    this.runningMean = this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', this.trackRunningStats ? tensor(0) : null);
  }

  protected abstract checkInput(x: Tensor): void;

  resetRunningStats(): void {
    this.runningMean?.zero_();
    this.runningVar?.fill_(1);
    this.numBatchesTracked?.zero_();
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      this.numBatchesTracked.add_(1);
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    const useBatchStats = this.training || !this.runningMean;
    return F.batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyRepr(this.eps)}, momentum=${pyRepr(this.momentum)}, affine=${pyRepr(this.affine)}, track_running_stats=${pyRepr(this.trackRunningStats)}`;
  }
}

/** Batch norm of `(N, C)` or `(N, C, L)`. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.dim() !== 2 && x.dim() !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input, got ${x.dim()}D`);
  }
}

/** Batch norm of `(N, C, H, W)`. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.dim() !== 4) throw new RangeError(`BatchNorm2d: expected 4D input, got ${x.dim()}D`);
  }
}

/**
 * Batch norm whose statistics are computed over the whole distributed batch while training
 * (every rank's samples), with gradients flowing back through the reduction as in PyTorch's
 * SyncBatchNorm. Without a process group (or in eval) it is BatchNorm over any `(N, C, …)` input.
 */
export class SyncBatchNorm extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.dim() < 2) throw new RangeError(`SyncBatchNorm: expected at least 2D input, got ${x.dim()}D`);
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || dist.getWorldSize() <= 1) return super.forward(x);
    this.checkInput(x);
    return tidy(() => {
      const C = this.numFeatures;
      const dims = [0, ...Array.from({ length: x.dim() - 2 }, (_, i) => i + 2)];
      const count = x.numel() / C;
      const xf = x.float();
      const local = cat([xf.sum(dims), xf.mul(xf).sum(dims), full([1], count, { dtype: 'float32', device: xf.device })]);
      // Gathered with gradient: each rank's backward sees the gradient of every rank's loss.
      const total = stack(dist.allGatherWithGrad(local)).sum(0);
      const n = total.index(2 * C).item();
      const mean = total.narrow(0, 0, C).div(n);
      const varB = total.narrow(0, C, C).div(n).sub(mean.mul(mean));
      const shape = [1, C, ...new Array<number>(x.dim() - 2).fill(1)];
      let y = xf.sub(mean.view(shape)).div(varB.add(this.eps).sqrt().view(shape));
      if (this.weight) y = y.mul(this.weight.view(shape));
      if (this.bias) y = y.add(this.bias.view(shape));
      if (this.runningMean && this.runningVar && this.numBatchesTracked) {
        noGrad(() => {
          (this.numBatchesTracked as Tensor).add_(1);
          const m = this.momentum ?? 1 / (this.numBatchesTracked as Tensor).item();
          (this.runningMean as Tensor).mul_(1 - m).add_(mean.detach(), { alpha: m });
          (this.runningVar as Tensor).mul_(1 - m).add_(varB.detach().mul(n / Math.max(n - 1, 1)), { alpha: m });
        });
      }
      return y.to(x.dtype);
    });
  }

  /** Replaces every BatchNorm*d in `module` by a SyncBatchNorm with the same state (`convert_sync_batchnorm`). */
  static convert(module: Module<never[], unknown>): void {
    for (const [, parent] of module.namedModules()) {
      for (const [name, child] of [...parent.namedChildren()]) {
        if (child instanceof BatchNorm1d || child instanceof BatchNorm2d) {
          const sync = new SyncBatchNorm(child.numFeatures, {
            eps: child.eps,
            momentum: child.momentum,
            affine: child.affine,
            trackRunningStats: child.trackRunningStats,
          });
          sync.loadStateDict(child.stateDict());
          sync.training = child.training;
          parent.replaceModule(name, sync);
          child.dispose();
        }
      }
    }
  }
}

/** Layer normalisation (Ba et al. 2016) over the trailing `normalizedShape` dims. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(
    normalizedShape: number | number[],
    readonly o: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    const affine = o.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? ones(this.normalizedShape) : null);
    this.bias = this.registerParameter('bias', affine && o.bias !== false ? zeros(this.normalizedShape) : null);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.o.eps ?? 1e-5 });
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')},), eps=${pyRepr(this.o.eps ?? 1e-5)}, elementwise_affine=${pyRepr(this.weight !== null)}`;
  }
}

/** Group normalisation (Wu & He 2018) of `(N, C, …)` with C split into `numGroups`. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly o: { eps?: number; affine?: boolean } = {},
  ) {
    super();
    if (numChannels % numGroups !== 0)
      throw new RangeError(`GroupNorm: num_channels ${numChannels} must be divisible by num_groups ${numGroups}`);
    const affine = o.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? ones([numChannels]) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numChannels]) : null);
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.o.eps ?? 1e-5 });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyRepr(this.o.eps ?? 1e-5)}, affine=${pyRepr(this.weight !== null)}`;
  }
}
