/**
 * MixMIM, "MixMIM: Mixed and Masked Image Modeling for Efficient Visual Representation Learning"
 * (Liu et al. 2022, arXiv:2205.13137), as MMSelfSup's `MixMIM`: instead of mask tokens, the encoder
 * sees each image with half of its 32-px cells replaced by the same cells of another image of the
 * batch (image N−1−i), attention kept within each source image (`MixMIMTransformer.forwardMixed`);
 * the `MixMIMPretrainDecoder` unmixes the tokens into two mask-token-filled sequences and the
 * `MixMIMPretrainHead` regresses every cell of both images (normalised-pixel L2, the mean over all).
 *
 * One view `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (mmcls's MixMIM names), `neck.*` (the MAE
 * decoder's names), no head keys. Features for evaluation are the unmixed encoder's, averaged.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { MixMIMTransformer } from '../backbones/mixmim.js';
import { patchify, unpatchify } from '../heads/mae-pretrain-head.js';
import { MixMIMPretrainHead } from '../heads/mixmim-head.js';
import { MixMIMPretrainDecoder } from '../necks/mixmim-pretrain-decoder.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { denormalizeImages, type Reconstruction, type Reconstructor } from './reconstruction.js';

/** `MixMIM` options: a `MixMIMTransformerPretrain` backbone, a `MixMIMPretrainDecoder` neck, a `MixMIMPretrainHead`. */
export const mixmimAlgoSchema = z.strictObject(baseModelShape);
export type MixMIMAlgoOptions = z.input<typeof mixmimAlgoSchema>;

/** MixMIM (Liu et al. 2022): one view `(N, C, H, W)` → the unmixed reconstruction loss. */
export class MixMIM extends BaseModel<MixMIMPretrainHead, MixMIMPretrainDecoder> implements Reconstructor {
  readonly encoder: MixMIMTransformer;

  constructor(o: MixMIMAlgoOptions, path = 'model') {
    super(o, path, { head: MixMIMPretrainHead, neck: MixMIMPretrainDecoder });
    if (!(this.backbone instanceof MixMIMTransformer))
      throw new TypeError(`MixMIM: ${path}.backbone must be a MixMIMTransformerPretrain, got ${this.backbone.constructor.name}`);
    const enc = this.backbone;
    this.encoder = enc;
    const [gh, gw] = enc.patchResolution;
    const s = enc.encoderStride / enc.patchEmbed.patchSize[0];
    if (this.neck.embedDim !== enc.numFeatures)
      throw new RangeError(
        `MixMIM: ${path}.neck.embedDim ${this.neck.embedDim} must equal the backbone's last width ${enc.numFeatures}`,
      );
    if (this.neck.numPatches !== (gh / s) * (gw / s))
      throw new RangeError(
        `MixMIM: ${path}.neck.numPatches ${this.neck.numPatches} must equal the backbone's final ${gh / s}×${gw / s} grid`,
      );
    // MMSelfSup sets the head's patch size to the neck's encoder stride; both must be the backbone's.
    if (this.neck.encoderStride !== enc.encoderStride || this.head.patchSize !== enc.encoderStride)
      throw new RangeError(
        `MixMIM: ${path}.neck.encoderStride ${this.neck.encoderStride} and ${path}.head.patchSize ${this.head.patchSize} must equal the backbone's stride ${enc.encoderStride}`,
      );
  }

  /** The encoder's input size (`imgSize`). */
  get reconstructionSize(): [number, number] {
    const [gh, gw] = this.encoder.patchResolution;
    const [ph, pw] = this.encoder.patchEmbed.patchSize;
    return [gh * ph, gw * pw];
  }

  /** The mixed forward: decoder output `(2N, L, s²·C)`, mask `(1, L)` and the preprocessed images. */
  protected predict(images: Tensor): { pred: Tensor; mask: Tensor; x: Tensor } {
    return torch.tidy(() => {
      const x = this.preprocess(images);
      const { latent, mask } = this.encoder.forwardMixed(x);
      return { pred: this.neck.forward(latent, mask), mask, x };
    });
  }

  /** One view → the unmixing reconstruction loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'MixMIM');
    return torch.tidy(() => {
      const { pred, mask, x } = this.predict(batch.views[0]);
      return { loss: this.head.forward(pred, x, mask), logs: {} };
    });
  }

  /**
   * Mixes and reconstructs `(N, C, H, W)` images. The reconstruction is the unmixed prediction of
   * every cell; with `normPix` each cell is mapped back with its target's own mean and standard
   * deviation. The mask is 1 on the cells whose tokens came from the other image.
   */
  reconstruct(images: Tensor): Reconstruction {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const { pred, mask, x } = this.predict(images);
        const p = this.head.patchSize;
        let patches = this.head.unmix(pred, mask);
        if (this.head.normPix) {
          const target = patchify(x, p);
          const mean = target.mean(-1, { keepdim: true });
          const std = target.var(-1, { keepdim: true, correction: 1 }).add(1e-6).sqrt();
          patches = patches.mul(std).add(mean);
        }
        const [n, c] = x.shape;
        const grid: [number, number] = [x.shape[2] / p, x.shape[3] / p];
        const cells = mask
          .reshape(1, -1, 1)
          .expand(n, -1, p * p * c)
          .to(x.dtype);
        return {
          original: denormalizeImages(x, this.normalization),
          reconstruction: denormalizeImages(unpatchify(patches, p, grid, c), this.normalization),
          mask: unpatchify(cells, p, grid, c).narrow(1, 0, 1),
        };
      }),
    );
  }
}

export const mixmimPart = definePart({
  registry: ALGORITHMS,
  name: 'MixMIM',
  schema: mixmimAlgoSchema,
  description: 'MixMIM: mix two images’ patches, keep attention within each, reconstruct both',
  build: (o, path) => new MixMIM(o, path),
});
