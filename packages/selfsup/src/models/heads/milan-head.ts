/**
 * MMSelfSup's `MILANPretrainHead`, the feature-regression head of MILAN (Hou et al. 2022, "MILAN:
 * Masked Image Pretraining on Language Assisted Representation", arXiv:2208.06049) and EVA (Fang et
 * al. 2023, "EVA: Exploring the Limits of Masked Visual Representation Learning at Scale",
 * arXiv:2211.07636): its loss (their recipes: `CosineSimilarityLoss` with shift 2 and scale 2, i.e.
 * 2 − 2·cos) compares the decoder's predicted features with the CLIP teacher's, token by token.
 *
 * Shapes: prediction and target `(N, T, D)`, optional mask `(N, T)` (1 = counted: EVA's removed
 * patches); without a mask every token counts (MILAN). The head has no parameters.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES, type LossModule } from '../registries.js';

/** `MILANPretrainHead` options (everything but `type`). */
export const milanPretrainHeadSchema = z.strictObject({
  /** The feature loss; MMSelfSup's recipes: `{ type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 }`. */
  loss: typed<LossConfig>(),
});
export type MILANPretrainHeadOptions = z.input<typeof milanPretrainHeadSchema>;

/** Predicted `(N, T, D)` vs teacher `(N, T, D)` features, over the tokens `mask (N, T)` selects (all without one). */
export class MILANPretrainHead extends nn.Module<[Tensor, Tensor, (Tensor | null)?], Tensor> {
  readonly loss: LossModule;

  constructor(o: MILANPretrainHeadOptions, path = 'head') {
    super();
    this.loss = this.registerModule('loss', LOSSES.build(o.loss, `${path}.loss`));
  }

  forward(pred: Tensor, target: Tensor, mask: Tensor | null = null): Tensor {
    if (pred.dim() !== 3 || pred.shape.some((d, i) => d !== target.shape[i]) || target.dim() !== 3)
      throw new RangeError(`MILANPretrainHead: prediction [${pred.shape}] and target [${target.shape}] must both be (N, T, D)`);
    if (mask && (mask.dim() !== 2 || mask.shape[0] !== pred.shape[0] || mask.shape[1] !== pred.shape[1]))
      throw new RangeError(`MILANPretrainHead: mask [${mask.shape}] must be (N, T) for prediction [${pred.shape}]`);
    return tidy(() => (mask ? this.loss.forward(pred, target, mask) : this.loss.forward(pred, target)));
  }
}

/** `MILANPretrainHead` in HEADS; its loss is built from LOSSES. */
export const milanPretrainHeadPart = definePart({
  registry: HEADS,
  name: 'MILANPretrainHead',
  schema: milanPretrainHeadSchema,
  description: 'MILAN/EVA: a loss (2 − 2·cos) between predicted and teacher token features',
  build: (o, path) => new MILANPretrainHead(o, path),
});
