/**
 * SimMIM (Xie et al. 2022, "SimMIM: A Simple Framework for Masked Image Modeling",
 * arXiv:2111.09886), as MMSelfSup 1.x's `SimMIM`: random patch blocks of the image are replaced by a
 * learnable mask token at the backbone's input (SimMIMSwinTransformer, SimMIMViT), a one-layer
 * decoder (`SimMIMLinearDecoder`) maps the encoder's last feature map back to pixels, and the head
 * (`SimMIMHead`) takes the L1 loss against the normalised image on the masked pixels only.
 *
 * Input: one view `(N, 3, H, W)` and its patch mask `(N, h, w)` (bool, 1 = masked, h·patchSize = H)
 * from the pipeline's `SimMIMMaskGenerator` step (`batch.masks[0]`). The target is the view after
 * the data preprocessor, as in MMSelfSup. State-dict keys `backbone.*` (with `backbone.mask_token`),
 * `neck.decoder.0.weight`, `neck.decoder.0.bias`.
 */
import * as torch from '@selfsup/torch';
import { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import type { Backbone } from '../backbones/base.js';
import { SimMIMHead } from '../heads/simmim-head.js';
import { SimMIMLinearDecoder } from '../necks/simmim-linear-decoder.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';

/** `SimMIM` options (everything but `type`): a mask-token backbone, a SimMIMLinearDecoder, a SimMIMHead. */
export const simmimSchema = z.strictObject({ ...baseModelShape });
export type SimMIMOptions = z.input<typeof simmimSchema>;

/** A backbone whose `forward(x, mask)` replaces masked patch embeddings by its `mask_token`. */
interface MaskTokenBackbone extends Backbone {
  readonly maskToken: Tensor | null;
  forward(x: Tensor, mask?: Tensor | null): Tensor[];
}

function hasMaskToken(b: Backbone): b is MaskTokenBackbone {
  return 'maskToken' in b && b.maskToken instanceof Tensor;
}

export class SimMIM extends BaseModel<SimMIMHead, SimMIMLinearDecoder> {
  private readonly encoder: MaskTokenBackbone;

  constructor(o: SimMIMOptions, path = 'model') {
    super(o, path, { head: SimMIMHead, neck: SimMIMLinearDecoder });
    const b = this.backbone;
    if (!hasMaskToken(b))
      throw new TypeError(
        `SimMIM: the backbone (${b.constructor.name}) has no mask token; use SimMIMSwinTransformer, swin-tiny|small|base or SimMIMViT`,
      );
    this.encoder = b;
  }

  /**
   * Preprocessed images `(N, C, H, W)` with masked patches `(N, h, w)` (1 = masked) → the decoder's
   * `(N, C, H, W)` reconstruction (MMSelfSup's `SimMIM.extract_feat`).
   */
  reconstruct(img: Tensor, mask: Tensor): Tensor {
    return torch.tidy(() => {
      const [rec] = this.neck.forward(this.encoder.forward(img, mask));
      if (rec.shape.join() !== img.shape.join())
        throw new RangeError(
          `SimMIM: the reconstruction [${rec.shape}] is not the image's shape [${img.shape}]: ` +
            `neck.encoderStride (${this.neck.encoderStride}) must be the backbone's total stride`,
        );
      return rec;
    });
  }

  /** L1 between the reconstruction and the normalised view on the masked pixels. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'SimMIM');
    const masks = batch.masks ?? [];
    if (masks.length === 0)
      throw new TypeError(
        'SimMIM: the batch has no patch mask; end the training pipeline with a SimMIMMaskGenerator step ' +
          "({ type: 'SimMIMMaskGenerator', inputSize, maskPatchSize, modelPatchSize, maskRatio })",
      );
    return torch.tidy(() => {
      const img = this.preprocess(batch.views[0]);
      const mask = masks[0].device === img.device ? masks[0] : masks[0].to({ device: img.device });
      const loss = this.head.forward(this.reconstruct(img, mask), img, mask);
      return { loss, logs: {} };
    });
  }
}

export const simmimPart = definePart({
  registry: ALGORITHMS,
  name: 'SimMIM',
  schema: simmimSchema,
  description: 'SimMIM: masked patches as a mask token, a linear decoder, L1 on the masked pixels (Swin or ViT)',
  build: (o, path) => new SimMIM(o, path),
});
