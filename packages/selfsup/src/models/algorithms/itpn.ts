/**
 * iTPN, "Integrally Pre-Trained Transformer Pyramid Networks" (Tian et al. 2023, arXiv:2211.12735),
 * as mmpretrain's `iTPN` with the pixel target: MAE over a hierarchical encoder. `iTPNHiViT` encodes
 * a random 25 % of the patches at three scales, the `iTPNPretrainDecoder` neck fuses the scales in a
 * feature pyramid and decodes every patch's pixels, and MAE's `MAEPretrainHead` regresses the
 * (per-patch normalised) pixels of the removed patches:
 *
 *   L = Σ_removed ‖pred − target‖² / (p²·C) / #removed.
 *
 * One view `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (mmpretrain's HiViT names), `neck.*`
 * (mmpretrain's pyramid names, timm's decoder-block names), no head keys. Features for evaluation
 * are the plain HiViT's (no masking). The CLIP-target variant (`iTPNClipHead`) is not built.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { ITPNHiViT } from '../backbones/itpn-hivit.js';
import { MAEPretrainHead } from '../heads/mae-pretrain-head.js';
import { ITPNPretrainDecoder } from '../necks/itpn-pretrain-decoder.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { reconstructPatches } from './mae.js';
import type { Reconstruction, Reconstructor } from './reconstruction.js';

/** `iTPN` options (everything but `type`): an `iTPNHiViT`, an `iTPNPretrainDecoder`, an `MAEPretrainHead`. */
export const itpnSchema = z.strictObject(baseModelShape);
export type ITPNOptions = z.input<typeof itpnSchema>;

/** iTPN (Tian et al. 2023), pixel target: one view `(N, C, H, W)` → masked-patch pixel regression loss. */
export class ITPN extends BaseModel<MAEPretrainHead, ITPNPretrainDecoder> implements Reconstructor {
  readonly hivit: ITPNHiViT;

  constructor(o: ITPNOptions, path = 'model') {
    super(o, path, { head: MAEPretrainHead, neck: ITPNPretrainDecoder });
    if (!(this.backbone instanceof ITPNHiViT))
      throw new TypeError(`iTPN: ${path}.backbone must be an iTPNHiViT, got ${this.backbone.constructor.name}`);
    this.hivit = this.backbone;
    const [gh, gw] = this.hivit.gridSize;
    const p = this.hivit.patchSize;
    if (this.neck.embedDim !== this.hivit.embedDims)
      throw new RangeError(`iTPN: neck.embedDim ${this.neck.embedDim} must equal the backbone's width ${this.hivit.embedDims}`);
    if (this.neck.numPatches !== gh * gw)
      throw new RangeError(`iTPN: neck.numPatches ${this.neck.numPatches} must equal the backbone's ${gh}×${gw} patch grid`);
    if (this.neck.patchSize !== p || this.head.patchSize !== p)
      throw new RangeError(
        `iTPN: head.patchSize ${this.head.patchSize} and neck.patchSize ${this.neck.patchSize} must equal the backbone's patch size ${p}`,
      );
  }

  /** The image size the encoder's and decoder's position tables are made for. */
  get reconstructionSize(): [number, number] {
    const [gh, gw] = this.hivit.gridSize;
    return [gh * this.hivit.patchSize, gw * this.hivit.patchSize];
  }

  /** The masked forward: predictions `(N, L, p²·C)`, mask `(N, L)` and the preprocessed images. */
  protected predict(images: Tensor): { pred: Tensor; mask: Tensor; x: Tensor } {
    return torch.tidy(() => {
      const x = this.preprocess(images);
      const { pyramid, mask, idsRestore } = this.hivit.forwardMasked(x);
      return { pred: this.neck.forward(pyramid, idsRestore), mask, x };
    });
  }

  /** One view → the masked reconstruction loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'iTPN');
    return torch.tidy(() => {
      const { pred, mask, x } = this.predict(batch.views[0]);
      return { loss: this.head.forward(pred, x, mask), logs: {} };
    });
  }

  /** Masks `(N, C, H, W)` images and reconstructs them (as MAE's `reconstruct`). */
  reconstruct(images: Tensor): Reconstruction {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const { pred, mask, x } = this.predict(images);
        return reconstructPatches(pred, mask, x, x, this.head, this.normalization);
      }),
    );
  }
}

export const itpnPart = definePart({
  registry: ALGORITHMS,
  name: 'iTPN',
  schema: itpnSchema,
  description: 'iTPN: MAE over a HiViT pyramid, the scales fused by a feature-pyramid decoder (pixel target)',
  build: (o, path) => new ITPN(o, path),
});
