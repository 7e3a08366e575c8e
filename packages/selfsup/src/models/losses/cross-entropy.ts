/**
 * mmcls's `CrossEntropyLoss` as the pretext-task classifiers use it (RotationPred, Gidaris et al.
 * 2018; RelativeLoc, Doersch et al. 2015): softmax cross entropy of logits `(N, K)` against class
 * indices `(N)`, averaged over the N rows and scaled by `lossWeight`. With per-class weights w
 * (DeepCluster's re-weighting) the mean is PyTorch's weighted one, Σᵢ w_{yᵢ}·CEᵢ / Σᵢ w_{yᵢ}
 * (`nn.CrossEntropyLoss(weight=w)`, MMSelfSup 0.x's), so only the relative weights matter.
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { nonNegNum, z } from '../../core/schema.js';
import { LOSSES } from '../registries.js';

/** `CrossEntropyLoss` options (everything but `type`). */
export const crossEntropyLossSchema = z.strictObject({
  /** Multiplies the loss (mmcls's `loss_weight`). Default 1. */
  lossWeight: nonNegNum().optional(),
});

export type CrossEntropyLossOptions = z.input<typeof crossEntropyLossSchema>;

/** Mean softmax cross entropy: logits `(N, K)`, int64 labels `(N)` in [0, K) → 0-d loss. */
export class CrossEntropyLoss extends nn.Module<[Tensor, Tensor, Tensor?], Tensor> {
  readonly lossWeight: number;

  constructor(opts: CrossEntropyLossOptions = {}) {
    super();
    this.lossWeight = opts.lossWeight ?? 1;
  }

  forward(logits: Tensor, labels: Tensor, classWeight?: Tensor): Tensor {
    if (logits.dim() !== 2 || labels.dim() !== 1 || labels.shape[0] !== logits.shape[0])
      throw new RangeError(
        `CrossEntropyLoss: expected logits (N, K) and labels (N), got [${logits.shape}] and [${labels.shape}]`,
      );
    return tidy(() => {
      const weight = classWeight ? classWeight.to({ dtype: logits.dtype, device: logits.device }) : null;
      const loss = F.crossEntropy(logits, labels.long(), { weight });
      return this.lossWeight === 1 ? loss : loss.mul(this.lossWeight);
    });
  }

  override extraRepr(): string {
    return `lossWeight=${this.lossWeight}`;
  }
}

/** `CrossEntropyLoss` in LOSSES. */
export const crossEntropyLossPart = definePart({
  registry: LOSSES,
  name: 'CrossEntropyLoss',
  schema: crossEntropyLossSchema,
  description: 'softmax cross entropy of (N, K) logits against (N) class indices, batch mean (mmcls)',
  build: (o) => new CrossEntropyLoss(o),
});
