/**
 * PixMIM, "Rethinking Pixel Reconstruction in Masked Image Modeling" (Liu et al. 2023,
 * arXiv:2303.02416), as MMSelfSup's `PixMIM`: MAE whose regression target is the image with its
 * high frequencies removed (`LowFreqTargetGenerator`), so the model spends no capacity on texture
 * noise; its recipe also swaps MAE's RandomResizedCrop for a less object-centric resize + padded
 * random crop. One view `(N, C, H, W)`. Keys as MAE's; the generator holds no weights.
 */
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import type { TargetGeneratorConfig } from '../../part-configs.js';
import { ALGORITHMS, TARGET_GENERATORS } from '../registries.js';
import { LowFreqTargetGenerator } from '../target-generators/low-freq-target-generator.js';
import { baseModelShape } from './base.js';
import { MAE } from './mae.js';

/** `PixMIM` options: MAE's plus the `targetGenerator` (a `LowFreqTargetGenerator`). */
export const pixmimSchema = z.strictObject({
  ...baseModelShape,
  /** `{ type: 'LowFreqTargetGenerator', radius: 40, imgSize: 224 }`; its mean/std default to the preprocessor's. */
  targetGenerator: typed<TargetGeneratorConfig>(),
});
export type PixMIMOptions = z.input<typeof pixmimSchema>;

/** PixMIM (Liu et al. 2023): MAE regressing the low-frequency image on removed patches. */
export class PixMIM extends MAE {
  readonly targetGenerator: LowFreqTargetGenerator;

  constructor(o: PixMIMOptions, path = 'model') {
    const { targetGenerator, ...mae } = o;
    super(mae, path);
    // The generator undoes the preprocessing: by default with the algorithm's own statistics.
    const cfg = { mean: this.normalization.mean, std: this.normalization.std, ...targetGenerator };
    this.targetGenerator = this.registerModule(
      'target_generator',
      TARGET_GENERATORS.buildAs(cfg, `${path}.targetGenerator`, LowFreqTargetGenerator, 'PixMIM'),
    );
  }

  /** The low-frequency image: MAE's loss and reconstruction then use it in place of the image. */
  protected override reconstructionTarget(x: Tensor): Tensor {
    return this.targetGenerator.forward(x);
  }
}

export const pixmimPart = definePart({
  registry: ALGORITHMS,
  name: 'PixMIM',
  schema: pixmimSchema,
  description: 'PixMIM: MAE with a low-frequency (Fourier low-pass) reconstruction target',
  build: (o, path) => new PixMIM(o, path),
});
