/**
 * MAE, "Masked Autoencoders Are Scalable Vision Learners" (He et al. 2022, arXiv:2111.06377), as
 * MMSelfSup's `MAE`: the ViT encoder (`MAEViT`) sees a random 25 % of the patches (per-sample noise,
 * `forwardMasked`), the `MAEPretrainDecoder` neck fills the rest with mask tokens and predicts every
 * patch's pixels, and the `MAEPretrainHead` regresses the (per-patch normalised) pixels of the
 * removed patches:
 *
 *   L = Σ_removed ‖pred − target‖² / (p²·C) / #removed.
 *
 * One view `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (timm's ViT names), `neck.*` (the MAE
 * release's decoder names), no head keys. Features for evaluation are the plain ViT's (no masking).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { ImageNormalization } from '../../core/images.js';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { VisionTransformer } from '../backbones/vit.js';
import { MAEPretrainHead, patchify, unpatchify } from '../heads/mae-pretrain-head.js';
import { MAEPretrainDecoder } from '../necks/mae-pretrain-decoder.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { denormalizeImages, type Reconstruction, type Reconstructor } from './reconstruction.js';

/** `MAE` options (everything but `type`): a ViT backbone, an `MAEPretrainDecoder` neck, an `MAEPretrainHead`. */
export const maeSchema = z.strictObject(baseModelShape);
export type MAEOptions = z.input<typeof maeSchema>;

/** What `checkMAEParts` reads of a decoder (MAE's, MILAN's) and of a pixel head (none for feature targets). */
export interface MAEDecoderShape {
  readonly embedDim: number;
  readonly numPatches: number;
  readonly patchSize: number;
}

/** Checks that a ViT encoder, MAE-style decoder and (pixel) head agree on widths, grid and patch size. */
export function checkMAEParts(
  who: string,
  vit: VisionTransformer,
  decoder: MAEDecoderShape,
  head: { readonly patchSize: number } | null,
): void {
  const [gh, gw] = vit.gridSize;
  const p = vit.patchEmbed.patchSize;
  if (vit.numPrefixTokens !== 1)
    throw new TypeError(`${who}: the backbone needs a class token (clsToken: true), as MAE's decoder expects one`);
  if (decoder.embedDim !== vit.embedDim)
    throw new RangeError(`${who}: neck.embedDim ${decoder.embedDim} must equal the backbone's width ${vit.embedDim}`);
  if (decoder.numPatches !== gh * gw)
    throw new RangeError(`${who}: neck.numPatches ${decoder.numPatches} must equal the backbone's ${gh}×${gw} patch grid`);
  if (p[0] !== p[1] || decoder.patchSize !== p[0] || (head && head.patchSize !== p[0]))
    throw new RangeError(
      `${who}: ${head ? `head.patchSize ${head.patchSize} and ` : ''}neck.patchSize ${decoder.patchSize} must equal the backbone's patch size ${p}`,
    );
}

/** MAE (He et al. 2022): one view `(N, C, H, W)` → masked-patch pixel regression loss. */
export class MAE extends BaseModel<MAEPretrainHead, MAEPretrainDecoder> implements Reconstructor {
  readonly vit: VisionTransformer;

  constructor(o: MAEOptions, path = 'model') {
    super(o, path, { head: MAEPretrainHead, neck: MAEPretrainDecoder });
    if (!(this.backbone instanceof VisionTransformer))
      throw new TypeError(`MAE: ${path}.backbone must be a VisionTransformer (MAEViT), got ${this.backbone.constructor.name}`);
    this.vit = this.backbone;
    checkMAEParts('MAE', this.vit, this.neck, this.head);
  }

  /** The image size the decoder's position table is made for: the encoder's grid × patch size. */
  get reconstructionSize(): [number, number] {
    const [gh, gw] = this.vit.gridSize;
    const [ph, pw] = this.vit.patchEmbed.patchSize;
    return [gh * ph, gw * pw];
  }

  /** The masked forward: predictions `(N, L, p²·C)`, mask `(N, L)` and the preprocessed images. */
  protected predict(images: Tensor): { pred: Tensor; mask: Tensor; x: Tensor } {
    return torch.tidy(() => {
      const x = this.preprocess(images);
      const { latent, mask, idsRestore } = this.vit.forwardMasked(x);
      return { pred: this.neck.forward(latent, idsRestore), mask, x };
    });
  }

  /** What the decoder learns to predict, as images: the preprocessed images themselves (PixMIM filters them). */
  protected reconstructionTarget(x: Tensor): Tensor {
    return x;
  }

  /** One view → the masked reconstruction loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'MAE');
    return torch.tidy(() => {
      const { pred, mask, x } = this.predict(batch.views[0]);
      return { loss: this.head.forward(pred, this.reconstructionTarget(x), mask), logs: {} };
    });
  }

  /**
   * Masks `(N, C, H, W)` images and reconstructs them. With `normPix` the prediction is of
   * normalised patches: it is mapped back with each target patch's own mean and standard deviation
   * (as MMSelfSup's visualisation does), then to 0–255 units.
   */
  reconstruct(images: Tensor): Reconstruction {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const { pred, mask, x } = this.predict(images);
        return reconstructPatches(pred, mask, x, this.reconstructionTarget(x), this.head, this.normalization);
      }),
    );
  }
}

/**
 * A pixel decoder's patch predictions `(N, L, p²·C)` and mask `(N, L)` over preprocessed images `x`
 * as a `Reconstruction`. With the head's `normPix` the prediction is of normalised patches: it is
 * mapped back with each `target` patch's own mean and standard deviation (as MMSelfSup's
 * visualisation does), then to 0–255 units. Shared by the MAE-style algorithms (MAE, iTPN).
 */
export function reconstructPatches(
  pred: Tensor,
  mask: Tensor,
  x: Tensor,
  target: Tensor,
  head: { readonly patchSize: number; readonly normPix: boolean },
  normalization: ImageNormalization,
): Reconstruction {
  return torch.tidy(() => {
    const p = head.patchSize;
    let patches = pred;
    if (head.normPix) {
      const t = patchify(target, p);
      const mean = t.mean(-1, { keepdim: true });
      const std = t.var(-1, { keepdim: true, correction: 1 }).add(1e-6).sqrt();
      patches = pred.mul(std).add(mean);
    }
    const grid: [number, number] = [x.shape[2] / p, x.shape[3] / p];
    const c = x.shape[1];
    const pixelMask = unpatchify(
      mask
        .unsqueeze(-1)
        .expand(-1, -1, p * p * c)
        .to(x.dtype),
      p,
      grid,
      c,
    ).narrow(1, 0, 1);
    return {
      original: denormalizeImages(x, normalization),
      reconstruction: denormalizeImages(unpatchify(patches, p, grid, c), normalization),
      mask: pixelMask,
    };
  });
}

export const maePart = definePart({
  registry: ALGORITHMS,
  name: 'MAE',
  schema: maeSchema,
  description: 'MAE: encode 25% of the patches, decode all, regress the removed patches’ pixels',
  build: (o, path) => new MAE(o, path),
});
