/**
 * mmcls's `CrossEntropyLoss` as the pretext-task classifiers use it (RotationPred, Gidaris et al.
 * 2018; RelativeLoc, Doersch et al. 2015): softmax cross entropy of logits `(N, K)` against class
 * indices `(N)`, averaged over the N rows and scaled by `lossWeight`. With per-class weights w the
 * mean is mmcls's, (1/N)·Σᵢ w_{yᵢ}·CEᵢ (ODC's cluster re-weighting), or with `weightedMean`
 * PyTorch's, Σᵢ w_{yᵢ}·CEᵢ / Σᵢ w_{yᵢ} (`nn.CrossEntropyLoss(weight=w)`; DeepCluster as in MMSelfSup
 * 0.x and the paper), where only the relative weights matter.
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
export class CrossEntropyLoss extends nn.Module<[Tensor, Tensor, Tensor?, boolean?], Tensor> {
  readonly lossWeight: number;

  constructor(opts: CrossEntropyLossOptions = {}) {
    super();
    this.lossWeight = opts.lossWeight ?? 1;
  }

  forward(logits: Tensor, labels: Tensor, classWeight?: Tensor, weightedMean = false): Tensor {
    if (logits.dim() !== 2 || labels.dim() !== 1 || labels.shape[0] !== logits.shape[0])
      throw new RangeError(
        `CrossEntropyLoss: expected logits (N, K) and labels (N), got [${logits.shape}] and [${labels.shape}]`,
      );
    return tidy(() => {
      const y = labels.long();
      let loss: Tensor;
      if (!classWeight) loss = F.crossEntropy(logits, y);
      else {
        if (classWeight.dim() !== 1 || classWeight.shape[0] !== logits.shape[1])
          throw new RangeError(`CrossEntropyLoss: classWeight of shape [${classWeight.shape}] for ${logits.shape[1]} classes`);
        const w = classWeight.to({ dtype: logits.dtype, device: logits.device });
        loss = weightedMean
          ? F.crossEntropy(logits, y, { weight: w })
          : F.crossEntropy(logits, y, { reduction: 'none' }).mul(w.indexSelect(0, y)).mean();
      }
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
