/**
 * MFF, "Improving Pixel-based MIM by Reducing Wasted Modeling Capability" (Liu et al. 2023,
 * arXiv:2308.00261), as mmpretrain's `MFF`: MAE whose encoder is an `MFFViT`, which hands the decoder
 * a learned softmax mixture of several blocks' outputs (multi-level feature fusion) rather than the
 * last block's. The loss is MAE's (normalised-pixel L2 on removed patches); the fusion weights are
 * logged as `weight_0 … weight_{K−1}`. One view `(N, C, H, W)`. Keys as MAE's plus the backbone's
 * `proj_layers.*` and `proj_weights`.
 */
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { MFFViT } from '../backbones/mff-vit.js';
import { ALGORITHMS } from '../registries.js';
import type { AlgorithmInput, LossOutput } from './base.js';
import { MAE, maeSchema } from './mae.js';

/** `MFF` options: MAE's, with an `MFFViT` backbone. */
export const mffSchema = z.strictObject(maeSchema.shape);
export type MFFOptions = z.input<typeof mffSchema>;

/** MFF (Liu et al. 2023): MAE over a multi-level-fusion encoder; one view `(N, C, H, W)`. */
export class MFF extends MAE {
  readonly mffVit: MFFViT;

  constructor(o: MFFOptions, path = 'model') {
    super(o, path);
    if (!(this.backbone instanceof MFFViT))
      throw new TypeError(`MFF: ${path}.backbone must be an MFFViT, got ${this.backbone.constructor.name}`);
    this.mffVit = this.backbone;
  }

  /** MAE's loss, with the fusion weights softmax(w) logged as `weight_k` (mmpretrain's names). */
  override loss(batch: AlgorithmInput): LossOutput {
    const out = super.loss(batch);
    const logs: Record<string, number> = { ...out.logs };
    this.mffVit.fusionWeights().forEach((w, k) => {
      logs[`weight_${k}`] = w;
    });
    return { loss: out.loss, logs };
  }
}

export const mffPart = definePart({
  registry: ALGORITHMS,
  name: 'MFF',
  schema: mffSchema,
  description: 'MFF: MAE whose decoder reads a learned mixture of several encoder blocks’ outputs',
  build: (o, path) => new MFF(o, path),
});
