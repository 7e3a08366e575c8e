/**
 * MMSelfSup's `MaskFeatPretrainHead` (Wei et al. 2022, "Masked Feature Prediction for
 * Self-Supervised Visual Pre-Training", arXiv:2112.09133): the regression loss between per-token
 * predictions and per-patch targets (HOG features), counted on masked patches only.
 *
 * Input: predictions `(N, 1 + L, D)` for the class token and L patches (the class token's row is
 * dropped), targets `(N, L, D)`, mask `(N, h, w)` or `(N, L)` with h·w = L (1/true = masked).
 * Output: the 0-d loss of `loss` (default `PixelReconstructionLoss` L2: the squared error averaged
 * over D and over the masked patches). No parameters.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import { HEADS, LOSSES } from '../registries.js';
import type { LossConfig } from '../../part-configs.js';

/** A masked regression loss: prediction, target, mask → 0-d loss. */
export type MaskedLoss = nn.Module<[Tensor, Tensor, Tensor], Tensor>;

/** `MaskFeatPretrainHead` options (everything but `type`). */
export const maskFeatPretrainHeadSchema = z.strictObject({
  /** The loss config. Default `{ type: 'PixelReconstructionLoss', criterion: 'L2' }` (MMSelfSup's recipe). */
  loss: typed<LossConfig>().optional(),
});

export type MaskFeatPretrainHeadOptions = z.input<typeof maskFeatPretrainHeadSchema>;

/** Drops the class token's prediction and applies the loss on masked patches. */
export class MaskFeatPretrainHead extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly loss: MaskedLoss;

  constructor(opts: MaskFeatPretrainHeadOptions = {}, path = 'head') {
    super();
    const cfg = opts.loss ?? { type: 'PixelReconstructionLoss', criterion: 'L2' };
    this.loss = this.registerModule('loss', LOSSES.build(cfg, `${path}.loss`) as MaskedLoss);
  }

  /** `pred (N, 1 + L, D)`, `target (N, L, D)`, `mask (N, h, w)` or `(N, L)` → 0-d loss. */
  forward(pred: Tensor, target: Tensor, mask: Tensor): Tensor {
    if (pred.dim() !== 3 || target.dim() !== 3)
      throw new RangeError(
        `MaskFeatPretrainHead: expected predictions (N, 1+L, D) and targets (N, L, D), got [${pred.shape}] and [${target.shape}]`,
      );
    const [n, l] = target.shape;
    if (pred.shape[0] !== n || pred.shape[1] !== l + 1)
      throw new RangeError(
        `MaskFeatPretrainHead: predictions [${pred.shape}] should hold a class token and the ${l} patches of targets [${target.shape}]`,
      );
    if (mask.numel() !== n * l)
      throw new RangeError(`MaskFeatPretrainHead: mask of shape [${mask.shape}] does not cover ${n} images of ${l} patches`);
    return tidy(() => this.loss.forward(pred.slice(1, 1), target, mask.reshape(n, l).to({ dtype: 'bool' })));
  }
}

/** `MaskFeatPretrainHead` in HEADS; its loss is built from LOSSES. */
export const maskFeatPretrainHeadPart = definePart({
  registry: HEADS,
  name: 'MaskFeatPretrainHead',
  schema: maskFeatPretrainHeadSchema,
  description: 'MaskFeat: regression loss of per-patch predictions on masked patches (class token dropped)',
  build: (o, path) => new MaskFeatPretrainHead(o, path),
});
