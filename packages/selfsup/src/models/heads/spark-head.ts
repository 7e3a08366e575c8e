/**
 * mmpretrain's `SparKPretrainHead` (Tian et al. 2023, "Designing BERT for Convolutional Networks:
 * Sparse and Hierarchical Masked Modeling", arXiv:2301.03580): the reconstructed image and the
 * preprocessed image are cut into `patchSize` patches (MAE's `patchify`: row-major grid,
 * channel-last patches), each target patch optionally normalised by its own mean and unbiased
 * variance (`normPix`, default true), and the loss (default `PixelReconstructionLoss` L2: squared
 * error averaged over the patch, then over the masked patches) counts the masked patches only.
 *
 * Shapes: reconstruction and images `(N, C, H, W)`, H and W multiples of `patchSize`; active mask
 * `(N, 1, H/p, W/p)` (true = visible, so the loss is over its complement). No parameters.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES, type LossModule } from '../registries.js';
import { patchify } from './mae-pretrain-head.js';

/** `SparKPretrainHead` options (everything but `type`). */
export const sparkPretrainHeadSchema = z.strictObject({
  /** Default `{ type: 'PixelReconstructionLoss', criterion: 'L2' }`. */
  loss: typed<LossConfig>().optional(),
  /** Normalise each target patch by its mean and standard deviation (default true). */
  normPix: bool().optional(),
  /** Patch size, the encoder's downsample ratio (default 32). */
  patchSize: posInt().optional(),
});

export type SparKPretrainHeadOptions = z.input<typeof sparkPretrainHeadSchema>;

/** Reconstruction `(N, C, H, W)`, images `(N, C, H, W)`, active mask `(N, 1, h, w)` → the masked-patch loss. */
export class SparKPretrainHead extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly normPix: boolean;
  readonly patchSize: number;
  readonly loss: LossModule;

  constructor(o: SparKPretrainHeadOptions = {}, path = 'head') {
    super();
    this.normPix = o.normPix ?? true;
    this.patchSize = o.patchSize ?? 32;
    this.loss = this.registerModule(
      'loss',
      LOSSES.build(o.loss ?? { type: 'PixelReconstructionLoss', criterion: 'L2' }, `${path}.loss`),
    );
  }

  /** Images `(N, C, H, W)` → `(N, L, p²·C)` target patches, per-patch normalised with `normPix`. */
  constructTarget(images: Tensor): Tensor {
    return tidy(() => {
      const target = patchify(images, this.patchSize);
      if (!this.normPix) return target;
      const mean = target.mean(-1, { keepdim: true });
      const variance = target.var(-1, { keepdim: true, correction: 1 });
      return target.sub(mean).div(variance.add(1e-6).sqrt());
    });
  }

  forward(rec: Tensor, images: Tensor, active: Tensor): Tensor {
    if (rec.shape.join() !== images.shape.join())
      throw new RangeError(
        `SparKPretrainHead: the reconstruction [${rec.shape}] and the images [${images.shape}] differ in shape`,
      );
    const p = this.patchSize;
    const [n, , h, w] = images.shape;
    if (active.shape.join() !== [n, 1, h / p, w / p].join())
      throw new RangeError(
        `SparKPretrainHead: expected an (${n}, 1, ${h / p}, ${w / p}) active mask for ${p}-px patches (patchSize), got [${active.shape}]`,
      );
    return tidy(() => {
      const masked = active.logicalNot().reshape(n, -1);
      return this.loss.forward(patchify(rec, p), this.constructTarget(images), masked);
    });
  }

  override extraRepr(): string {
    return `norm_pix=${this.normPix}, patch_size=${this.patchSize}`;
  }
}

/** `SparKPretrainHead` in HEADS; its loss is built from LOSSES. */
export const sparkPretrainHeadPart = definePart({
  registry: HEADS,
  name: 'SparKPretrainHead',
  schema: sparkPretrainHeadSchema,
  description: 'SparK: (per-patch normalised) pixel target, L2 on the masked patches',
  build: (o, path) => new SparKPretrainHead(o, path),
});
