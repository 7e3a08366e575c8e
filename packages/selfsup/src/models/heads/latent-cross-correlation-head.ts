/**
 * MMSelfSup's `LatentCrossCorrelationHead` (Barlow Twins, Zbontar et al. 2021, arXiv:2103.03230):
 * both views' embeddings `(N, D)` are batch-normalised without affine parameters, their
 * cross-correlation matrix C = BN(z₁)ᵀ·BN(z₂) / (N·world) is summed over processes, and a loss
 * (default `CrossCorrelationLoss`, λ = 0.0051) is taken of it.
 *
 * Keys: `bn.running_mean`, `bn.running_var`, `bn.num_batches_tracked`.
 */
import { distributed as dist, nn, type Tensor, tidy } from '@selfsup/torch';
import { posInt, typed, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { buildNorm1d, norm1dSchema } from '../necks/norm.js';
import { HEADS, type LossModule, LOSSES } from '../registries.js';
import type { LossConfig } from '../../part-configs.js';

/** `LatentCrossCorrelationHead` options (everything but `type`). */
export const latentCrossCorrelationHeadSchema = z.strictObject({
  /** D, the embedding size. */
  inChannels: posInt(),
  /** The loss of the `(D, D)` matrix. Default `{ type: 'CrossCorrelationLoss' }`. */
  loss: typed<LossConfig>().optional(),
  /**
   * The normalisation: `SyncBN` (default) normalises over every process's samples, as the
   * official code's converted BN; `BN1d` uses each process's batch (MMSelfSup's plain BN).
   */
  normCfg: norm1dSchema().optional(),
});

export type LatentCrossCorrelationHeadOptions = z.input<typeof latentCrossCorrelationHeadSchema>;

/** Barlow Twins head (Zbontar et al. 2021): two views' `(N, D)` embeddings → 0-d loss. */
export class LatentCrossCorrelationHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly bn: nn.BatchNorm1d | nn.SyncBatchNorm;
  readonly loss: LossModule;

  constructor(opts: LatentCrossCorrelationHeadOptions, path = 'head') {
    super();
    this.bn = this.registerModule('bn', buildNorm1d(opts.normCfg ?? { type: 'SyncBN' }, opts.inChannels, false));
    this.loss = this.registerModule('loss', LOSSES.build(opts.loss ?? { type: 'CrossCorrelationLoss' }, `${path}.loss`));
  }

  /** The `(D, D)` cross-correlation matrix of two views' embeddings `(N, D)`, summed over processes. */
  crossCorrelation(input: Tensor, target: Tensor): Tensor {
    return tidy(() => {
      const world = dist.isInitialized() ? dist.getWorldSize() : 1;
      const local = this.bn
        .forward(input)
        .t()
        .matmul(this.bn.forward(target))
        .div(input.shape[0] * world);
      if (world === 1) return local;
      // Sum over processes; the gradient passes to this process's share unchanged (as an in-place all_reduce).
      const total = local.detach().clone();
      dist.allReduce(total);
      return local.add(total.sub(local.detach()));
    });
  }

  /** Two views' embeddings `(N, D)` → the 0-d loss. */
  forward(input: Tensor, target: Tensor): Tensor {
    return tidy(() => this.loss.forward(this.crossCorrelation(input, target)));
  }
}

/** `LatentCrossCorrelationHead` in HEADS; its loss is built from LOSSES. */
export const latentCrossCorrelationHeadPart = definePart({
  registry: HEADS,
  name: 'LatentCrossCorrelationHead',
  schema: latentCrossCorrelationHeadSchema,
  description: 'BN (no affine) of both views → cross-correlation matrix → loss (Barlow Twins)',
  build: (o, path) => new LatentCrossCorrelationHead(o, path),
});
