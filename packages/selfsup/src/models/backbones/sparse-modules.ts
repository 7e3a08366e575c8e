/**
 * Sparse convolution emulated with dense layers, as SparK (Tian et al. 2023, "Designing BERT for
 * Convolutional Networks: Sparse and Hierarchical Masked Modeling", arXiv:2301.03580) and
 * mmpretrain's `sparse_modules.py` do: a masked image is encoded by ordinary conv / pool / BN
 * layers, and after each of them the positions that are masked out are set back to zero, so
 * information never flows into them and the encoder sees only the visible patches, as a
 * submanifold sparse convolution would.
 *
 * The active mask `(N, 1, f, f)` (bool, true = visible) lives in a `SparseActiveMask` shared by
 * every sparse layer of a network (mmpretrain's global `SparseHelper._cur_active`, here one object
 * per network); a layer whose output is `(N, C, H, W)` uses it repeated H/f times along both axes.
 * Without an active mask (plain `forward`, evaluation, fine-tuning) every layer is its dense self.
 */
import { cat, distributed as dist, F, nn, noGrad, stack, type Tensor, tidy } from '@selfsup/torch';

/** The active (visible) positions a network's sparse layers keep, at the coarsest resolution. */
export class SparseActiveMask {
  private active: Tensor | null = null;

  /** The current mask `(N, 1, f, f)` (bool, true = visible), or null when the layers are dense. */
  get current(): Tensor | null {
    return this.active;
  }

  /** Runs `fn` with `active` `(N, 1, f, f)` as the mask (the caller owns the tensor), then clears it. */
  with<T>(active: Tensor, fn: () => T): T {
    if (active.dim() !== 4 || active.shape[1] !== 1)
      throw new RangeError(`SparseActiveMask: expected an (N, 1, f, f) mask, got [${active.shape}]`);
    const before = this.active;
    this.active = active;
    try {
      return fn();
    } finally {
      this.active = before;
    }
  }

  /**
   * The mask at the resolution of `x` `(N, C, H, W)`, as `(N, 1, H, W)` of x's dtype (1 = active),
   * or null when no mask is set. H and W must be multiples of the mask's size.
   */
  at(x: Tensor, who: string): Tensor | null {
    const a = this.active;
    if (!a) return null;
    const [n, , h, w] = x.shape;
    const [an, , fh, fw] = a.shape;
    if (n !== an || h % fh !== 0 || w % fw !== 0)
      throw new RangeError(
        `${who}: a [${x.shape}] map cannot take the (${an}, 1, ${fh}, ${fw}) active mask (batch and a multiple of its size needed)`,
      );
    return tidy(() => {
      let m = a.to({ dtype: x.dtype, device: x.device });
      if (h !== fh) m = m.repeatInterleave(h / fh, 2);
      if (w !== fw) m = m.repeatInterleave(w / fw, 3);
      return m;
    });
  }
}

/** Conv2d whose output is zeroed on inactive positions (mmpretrain's `SparseConv2d`). */
export class SparseConv2d extends nn.Conv2d {
  constructor(
    readonly active: SparseActiveMask,
    inChannels: number,
    outChannels: number,
    kernelSize: number | [number, number],
    o: nn.Conv2dOptions = {},
  ) {
    super(inChannels, outChannels, kernelSize, o);
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = super.forward(x);
      const m = this.active.at(y, 'SparseConv2d');
      return m ? y.mul(m) : y;
    });
  }
}

/** MaxPool2d whose output is zeroed on inactive positions (mmpretrain's `SparseMaxPooling`). */
export class SparseMaxPool2d extends nn.MaxPool2d {
  constructor(
    readonly active: SparseActiveMask,
    kernelSize: number | [number, number],
    o: nn.MaxPool2d['o'] = {},
  ) {
    super(kernelSize, o);
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = super.forward(x);
      const m = this.active.at(y, 'SparseMaxPool2d');
      return m ? y.mul(m) : y;
    });
  }
}

/** AvgPool2d whose output is zeroed on inactive positions (mmpretrain's `SparseAvgPooling`). */
export class SparseAvgPool2d extends nn.AvgPool2d {
  constructor(
    readonly active: SparseActiveMask,
    kernelSize: number | [number, number],
    o: nn.AvgPool2d['o'] = {},
  ) {
    super(kernelSize, o);
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = super.forward(x);
      const m = this.active.at(y, 'SparseAvgPool2d');
      return m ? y.mul(m) : y;
    });
  }
}

/**
 * Batch norm over the active positions only (mmpretrain's `SparseSyncBatchNorm2d`): the mean and
 * (biased) variance that normalise, and the running statistics (unbiased variance), are those of
 * the visible pixels of the batch, as BatchNorm1d over the `(n_active, C)` rows would compute
 * them; the output is zero on inactive positions. When distributed, the statistics are those of
 * every process's active positions (sums gathered with their gradient, as SyncBatchNorm does).
 * It extends SyncBatchNorm so the runner's `syncBn` conversion leaves it as it is; without a mask
 * it is that dense batch norm. Keys: `weight`, `bias`, `running_mean`, `running_var`,
 * `num_batches_tracked` (BatchNorm's).
 */
export class SparseBatchNorm2d extends nn.SyncBatchNorm {
  constructor(
    readonly active: SparseActiveMask,
    numFeatures: number,
    o: nn.BatchNormOptions = {},
  ) {
    super(numFeatures, o);
  }

  override forward(x: Tensor): Tensor {
    if (x.dim() !== 4) throw new RangeError(`SparseBatchNorm2d: expected (N, C, H, W), got [${x.shape}]`);
    const m = this.active.at(x, 'SparseBatchNorm2d');
    if (!m) return super.forward(x);
    return tidy(() => {
      const useBatchStats = this.training || !this.runningMean;
      if (!useBatchStats) {
        const y = F.batchNorm(x, this.runningMean, this.runningVar, {
          weight: this.weight,
          bias: this.bias,
          training: false,
          eps: this.eps,
        });
        return y.mul(m);
      }
      const C = this.numFeatures;
      const shape = [1, C, 1, 1];
      const { mean, variance, count } = this.activeStatistics(x, m);
      let y = x.sub(mean.view(shape)).mul(variance.add(this.eps).rsqrt().view(shape));
      if (this.weight) y = y.mul(this.weight.view(shape));
      if (this.bias) y = y.add(this.bias.view(shape));
      if (this.training && this.runningMean && this.runningVar && this.numBatchesTracked) {
        const rm = this.runningMean;
        const rv = this.runningVar;
        const nbt = this.numBatchesTracked;
        noGrad(() => {
          nbt.add_(1);
          const f = this.momentum ?? 1 / nbt.item();
          rm.mul_(1 - f).add_(mean.detach().to({ dtype: rm.dtype }), { alpha: f });
          const unbiased = variance.detach().mul(count / Math.max(count - 1, 1));
          rv.mul_(1 - f).add_(unbiased.to({ dtype: rv.dtype }), { alpha: f });
        });
      }
      return y.mul(m);
    });
  }

  /** Per-channel mean and biased variance over the active positions (of every process when distributed). */
  private activeStatistics(x: Tensor, m: Tensor): { mean: Tensor; variance: Tensor; count: number } {
    const C = this.numFeatures;
    const dims = [0, 2, 3];
    if (this.training && dist.getWorldSize() > 1) {
      const xm = x.mul(m);
      const local = cat([xm.sum(dims), xm.mul(x).sum(dims), m.sum().reshape([1])]);
      const total = stack(dist.allGatherWithGrad(local)).sum(0);
      const count = total.index(2 * C).item();
      if (count === 0) throw new RangeError('SparseBatchNorm2d: no active position in the batch');
      const mean = total.narrow(0, 0, C).div(count);
      return { mean, variance: total.narrow(0, C, C).div(count).sub(mean.mul(mean)), count };
    }
    const count = m.sum().item();
    if (count === 0) throw new RangeError('SparseBatchNorm2d: no active position in the batch');
    const mean = x.mul(m).sum(dims).div(count);
    const centred = x.sub(mean.view([1, C, 1, 1]));
    return { mean, variance: centred.mul(centred).mul(m).sum(dims).div(count), count };
  }

  override extraRepr(): string {
    return `${super.extraRepr()}, sparse`;
  }
}

/**
 * Replaces every Conv2d, MaxPool2d, AvgPool2d and BatchNorm2d below `module` by its sparse
 * counterpart sharing `active`, with the same settings and state (mmpretrain's
 * `dense_model_to_sparse`): the state-dict keys do not change.
 */
export function denseToSparse(module: nn.AnyModule, active: SparseActiveMask): void {
  for (const [, parent] of [...module.namedModules()]) {
    for (const [name, child] of [...parent.namedChildren()]) {
      const sparse = sparseOf(child, active);
      if (!sparse) continue;
      sparse.loadStateDict(child.stateDict());
      sparse.training = child.training;
      const frozen = new Map([...child.namedParameters()].map(([k, p]) => [k, p.requiresGrad]));
      for (const [k, p] of sparse.namedParameters()) p.requiresGrad_(frozen.get(k) ?? true);
      parent.replaceModule(name, sparse);
      child.dispose();
    }
  }
}

function sparseOf(m: nn.AnyModule, active: SparseActiveMask): nn.AnyModule | null {
  if (m instanceof SparseConv2d || m instanceof SparseBatchNorm2d) return null;
  if (m instanceof SparseMaxPool2d || m instanceof SparseAvgPool2d) return null;
  if (m instanceof nn.Conv2d) {
    return new SparseConv2d(active, m.inChannels, m.outChannels, m.kernelSize, {
      stride: m.stride,
      padding: m.padding,
      dilation: m.dilation,
      groups: m.groups,
      bias: m.bias !== null,
      paddingMode: m.paddingMode,
    });
  }
  if (m instanceof nn.MaxPool2d) return new SparseMaxPool2d(active, m.kernelSize, m.o);
  if (m instanceof nn.AvgPool2d) return new SparseAvgPool2d(active, m.kernelSize, m.o);
  if (m instanceof nn.BatchNorm2d)
    return new SparseBatchNorm2d(active, m.numFeatures, {
      eps: m.eps,
      momentum: m.momentum,
      affine: m.affine,
      trackRunningStats: m.trackRunningStats,
    });
  return null;
}
