/**
 * MMSelfSup's `CAEHead` (Chen et al. 2022, "Context Autoencoder for Self-Supervised Representation
 * Learning", arXiv:2202.03026): the DALL-E tokenizer's ids of the masked patches (argmax of its
 * logits) are the decoder's targets, and `CAELoss` adds the alignment of the regressor's latent
 * prediction with the teacher's latent. No parameters of its own.
 *
 * Input: decoder logits `(N·M, V)` (masked patches, image by image in grid order), tokenizer logits
 * `(N, V, h, w)`, latent prediction and target `(N, M, C)`, mask `(N, h, w)`/`(N, L)` (1 = masked).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { CAELoss } from '../losses/cae-loss.js';
import { HEADS, LOSSES } from '../registries.js';

export const caeHeadSchema = z.strictObject({
  /** A `CAELoss` (MMSelfSup's `dict(type='CAELoss', lambd=2)`). */
  loss: typed<LossConfig>(),
});
export type CAEHeadOptions = z.input<typeof caeHeadSchema>;

export class CAEHead extends nn.Module<[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor> {
  readonly loss: CAELoss;

  constructor(o: CAEHeadOptions, path = 'head') {
    super();
    this.loss = this.registerModule('loss', LOSSES.buildAs(o.loss, `${path}.loss`, CAELoss, 'CAEHead'));
  }

  /** `[main, align]`: the cross-entropy on the masked patches' ids and λ·MSE of the latents. */
  losses(logits: Tensor, logitsTarget: Tensor, latentPred: Tensor, latentTarget: Tensor, mask: Tensor): [Tensor, Tensor] {
    if (logitsTarget.dim() !== 4)
      throw new RangeError(`CAEHead: expected the tokenizer's logits (N, V, h, w), got [${logitsTarget.shape}]`);
    const [n, , h, w] = logitsTarget.shape;
    if (mask.numel() !== n * h * w)
      throw new RangeError(`CAEHead: mask of shape [${mask.shape}] does not match the tokenizer's ${n}x${h}x${w} ids`);
    return torch.tidy(() => {
      const ids = torch.noGrad(() =>
        logitsTarget
          .argmax(1)
          .reshape(n, h * w)
          .index(mask.reshape(n, h * w).to({ dtype: 'bool' })),
      );
      return this.loss.terms(logits, ids, latentPred, latentTarget);
    });
  }

  forward(logits: Tensor, logitsTarget: Tensor, latentPred: Tensor, latentTarget: Tensor, mask: Tensor): Tensor {
    return torch.tidy(() => {
      const [a, b] = this.losses(logits, logitsTarget, latentPred, latentTarget, mask);
      return a.add(b);
    });
  }
}

export const caeHeadPart = definePart({
  registry: HEADS,
  name: 'CAEHead',
  schema: caeHeadSchema,
  description: 'CAE: DALL-E ids of the masked patches as targets, plus the latent alignment loss (CAELoss)',
  build: (o, path) => new CAEHead(o, path),
});
