/**
 * `SparseConvNeXt`: the ConvNeXt of SparK (Tian et al. 2023, "Designing BERT for Convolutional
 * Networks: Sparse and Hierarchical Masked Modeling", arXiv:2301.03580) as mmpretrain's
 * `SparseConvNeXt`: every conv a `SparseConv2d`, every LayerNorm a `SparseLayerNorm2d`, each
 * block's residual branch zeroed on masked positions, all reading one `SparseActiveMask`; no
 * `norm{i}` after the outputs, which are the raw stage maps (`gapBeforeOutput: false`, as SparK
 * uses it) or their averages `(N, C_i)` (mmpretrain's default, true). mmpretrain's default arch
 * here is 'small'. ConvNeXt V2 (SparK's `spark_sparse-convnextv2-*` recipes): `useGrn: true,
 * layerScaleInitValue: 0`; its GRN, like mmpretrain's, takes its norms over every position.
 *
 * `forwardSparse(x, active)` encodes masked images `(N, 3, H, W)` with `active` `(N, 1, f, f)`
 * (true = visible, f = H/32); plain `forward` is the dense ConvNeXt without output norms. Keys
 * are ConvNeXt's, so a SparK checkpoint's `backbone.*` loads into a `ConvNeXt` for fine-tuning
 * (all but that model's `norm{i}`, which mmpretrain's fine-tuning also initialises afresh).
 */
import { definePart } from '../../core/registry.js';
import { bool, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import type { Tensor } from '@selfsup/torch';
import { ConvNeXt, convnextShape } from './convnext.js';
import { SparseActiveMask } from './sparse-modules.js';
import type { SparseEncoder } from './sparse-resnet.js';

/** `SparseConvNeXt` options (everything but `type`). */
export const sparseConvnextSchema = z.strictObject({
  ...convnextShape,
  /** Average-pool each output map to `(N, C_i)`. Default true (SparK sets false). */
  gapBeforeOutput: bool().optional(),
});

export type SparseConvNeXtOptions = z.input<typeof sparseConvnextSchema>;

/** ConvNeXt with sparse convolution emulated by masking (mmpretrain's `SparseConvNeXt`). */
export class SparseConvNeXt extends ConvNeXt implements SparseEncoder {
  /** The active mask every sparse layer of this network reads. */
  readonly active: SparseActiveMask;

  constructor(o: SparseConvNeXtOptions = {}) {
    const active = new SparseActiveMask();
    const { gapBeforeOutput, ...rest } = o;
    super(rest, { active, outNorms: false, gap: gapBeforeOutput ?? true, defaultArch: 'small', name: 'SparseConvNeXt' });
    this.active = active;
  }

  forwardSparse(x: Tensor, active: Tensor): Tensor[] {
    return this.active.with(active, () => this.forward(x));
  }
}

/** `SparseConvNeXt` (`{ type: 'SparseConvNeXt', arch: 'tiny', outIndices: [0, 1, 2, 3], gapBeforeOutput: false }`). */
export const sparseConvnextPart = definePart({
  registry: BACKBONES,
  name: 'SparseConvNeXt',
  schema: sparseConvnextSchema,
  description: "SparK's ConvNeXt (v1/v2): sparse convs and LayerNorms by re-masking, no output norms (ConvNeXt's keys)",
  build: (o) => new SparseConvNeXt(o),
});
