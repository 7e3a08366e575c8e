/**
 * `VICRegHead`: the VICReg loss (Bardes et al. 2022, arXiv:2105.04906) of both views' expander
 * outputs `(N, D)`. With a process group the embeddings of every process are gathered first (with
 * gradient), as the official code does, so the variance and covariance terms see the whole batch.
 */
import * as torch from '@selfsup/torch';
import { distributed as dist, nn, type Tensor, tidy } from '@selfsup/torch';
import { typed, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { VICRegLoss, type VICRegTerms } from '../losses/vicreg.js';
import { HEADS, LOSSES } from '../registries.js';
import type { LossConfig } from '../../part-configs.js';

/** `VICRegHead` options (everything but `type`). */
export const vicregHeadSchema = z.strictObject({
  /** The loss, a `VICRegLoss` (or subclass) config. Default `{ type: 'VICRegLoss' }` (25/25/1). */
  loss: typed<LossConfig>().optional(),
});

export type VICRegHeadOptions = z.input<typeof vicregHeadSchema>;

/** Every process's rows of `x` `(N, D)`, concatenated in rank order, with gradient to this process's. */
export function gatherWithGrad(x: Tensor): Tensor {
  if (!dist.isInitialized() || dist.getWorldSize() === 1) return x;
  return tidy(() => torch.cat(dist.allGatherWithGrad(x.contiguous())));
}

/** VICReg head (Bardes et al. 2022): two views' `(N, D)` embeddings, gathered over processes → 0-d loss. */
export class VICRegHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly loss: VICRegLoss;

  constructor(opts: VICRegHeadOptions = {}, path = 'head') {
    super();
    const cfg = opts.loss ?? { type: 'VICRegLoss' };
    this.loss = this.registerModule('loss', LOSSES.buildAs(cfg, `${path}.loss`, VICRegLoss, 'VICRegHead'));
  }

  /** Every term of the loss of two views' embeddings `(N, D)` (gathered over processes). */
  terms(x: Tensor, y: Tensor): VICRegTerms {
    return tidy(() => this.loss.terms(gatherWithGrad(x), gatherWithGrad(y)));
  }

  /** Two views' embeddings `(N, D)` → the 0-d loss. */
  forward(x: Tensor, y: Tensor): Tensor {
    return tidy(() => this.terms(x, y).loss);
  }
}

/** `VICRegHead` in HEADS; its loss is built from LOSSES and must be a `VICRegLoss`. */
export const vicregHeadPart = definePart({
  registry: HEADS,
  name: 'VICRegHead',
  schema: vicregHeadSchema,
  description: 'VICReg: gathers both views over processes and applies VICRegLoss',
  build: (o, path) => new VICRegHead(o, path),
});
