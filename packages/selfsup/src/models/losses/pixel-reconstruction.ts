/**
 * MMSelfSup's `PixelReconstructionLoss`, the masked-image-modelling regression loss of MAE (He et al.
 * 2022, L2 on normalised pixels), SimMIM (Xie et al. 2022, L1 on pixels), MaskFeat (Wei et al. 2022,
 * L2 on HOG features) and PixMIM:
 *
 *   ℓ = criterion(pred, target) elementwise; `(N, L, D)` losses are averaged over D;
 *   loss = Σ ℓ·mask / Σ mask / channel.
 *
 * Shapes: `(N, L, D)` patch predictions with an `(N, L)` mask (1 = masked, the terms that count), or
 * `(N, C, H, W)` images with a mask broadcastable to them (SimMIM's `(N, 1, H, W)`, with
 * `channel: C` so that the loss is per pixel and channel).
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { LOSSES } from '../registries.js';

/** `PixelReconstructionLoss` options (everything but `type`). */
export const pixelReconstructionLossSchema = z.strictObject({
  /** 'L1' (SimMIM) or 'L2' (MAE, MaskFeat: squared error). */
  criterion: z.enum(['L1', 'L2']),
  /** The sum over the mask is further divided by this (SimMIM: 3 for RGB). Default 1. */
  channel: posInt().optional(),
});

export type PixelReconstructionLossOptions = z.input<typeof pixelReconstructionLossSchema>;

/** Masked L1/L2 regression: prediction, target and mask → 0-d loss averaged over masked terms. */
export class PixelReconstructionLoss extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly criterion: 'L1' | 'L2';
  readonly channel: number;

  constructor(o: PixelReconstructionLossOptions) {
    super();
    this.criterion = o.criterion;
    this.channel = o.channel ?? 1;
  }

  /** `pred` and `target` of one shape; `mask` (1 = counted) of the loss's shape after the D-average. */
  forward(pred: Tensor, target: Tensor, mask: Tensor): Tensor {
    if (pred.shape.join() !== target.shape.join())
      throw new RangeError(`PixelReconstructionLoss: prediction [${pred.shape}] and target [${target.shape}] differ in shape`);
    return tidy(() => {
      let loss =
        this.criterion === 'L1' ? F.l1Loss(pred, target, { reduction: 'none' }) : F.mseLoss(pred, target, { reduction: 'none' });
      if (loss.dim() === 3) loss = loss.mean(-1);
      const m = mask.to(loss.dtype);
      return loss.mul(m).sum().div(m.sum()).div(this.channel);
    });
  }

  override extraRepr(): string {
    return `criterion=${this.criterion}, channel=${this.channel}`;
  }
}

/** `PixelReconstructionLoss` in LOSSES. */
export const pixelReconstructionLossPart = definePart({
  registry: LOSSES,
  name: 'PixelReconstructionLoss',
  schema: pixelReconstructionLossSchema,
  description: 'masked L1/L2 reconstruction loss (MAE, SimMIM, MaskFeat, PixMIM)',
  build: (o) => new PixelReconstructionLoss(o),
});
