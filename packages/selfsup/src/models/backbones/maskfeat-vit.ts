/**
 * MMSelfSup's `MaskFeatViT` (Wei et al. 2022, "Masked Feature Prediction for Self-Supervised Visual
 * Pre-Training", arXiv:2112.09133): a Vision Transformer with a learnable `mask_token` that replaces
 * the embeddings of masked patches (`forwardFeatures(x, mask)`, mask `(N, h, w)`, 1 = masked), all
 * tokens `(N, 1 + L, C)` after the final norm going to MaskFeat's per-token prediction.
 *
 * It is selfsup's `VisionTransformer` (timm's keys) with MaskFeatViT's defaults (ViT-B/16 at 224,
 * LayerNorm eps 1e-6, a mask token) and its initialisation, which differs from the 'timm' scheme in
 * two places: the class token is trunc-normal(0.02) like the mask token and position embedding (not
 * N(0, 1e-6)), and the patch projection keeps PyTorch's default bias, U(±1/√fan_in) (its
 * `_init_weights` re-initialises only the convolution's weight). Everything else — trunc-normal(0.02)
 * linear and patch weights, zero linear biases, LayerNorm 1/0 — is the same.
 */
import * as torch from '@selfsup/torch';
import { nn } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { BACKBONES } from '../registries.js';
import { VisionTransformer, type ViTOptions, vitSchema } from './vit.js';

const { init } = nn;

/** A VisionTransformer with a mask token, initialised as MMSelfSup's MaskFeatViT. */
export class MaskFeatViT extends VisionTransformer {
  constructor(o: ViTOptions = {}) {
    super({ maskToken: true, ...o });
  }

  override initWeights(): void {
    super.initWeights();
    torch.noGrad(() =>
      torch.tidy(() => {
        if (this.clsToken) init.truncNormal_(this.clsToken, { std: 0.02 });
        const { weight, bias } = this.patchEmbed.proj;
        if (bias) {
          const fanIn = weight.shape.slice(1).reduce((a, b) => a * b, 1);
          init.uniform_(bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
        }
      }),
    );
  }
}

/** `MaskFeatViT`: ViT-B/16 with a mask token and MaskFeat's initialisation (any `VisionTransformer` option). */
export const maskFeatVitPart = definePart({
  registry: BACKBONES,
  name: 'MaskFeatViT',
  schema: vitSchema,
  description: "MaskFeat's ViT: a mask token for masked patches, MMSelfSup's MaskFeatViT initialisation",
  build: (o) => new MaskFeatViT(o),
});
