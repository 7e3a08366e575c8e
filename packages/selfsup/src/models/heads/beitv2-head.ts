/**
 * MMSelfSup's `BEiTV2Head` (Peng et al. 2022, "BEiT v2: Masked Image Modeling with Vector-Quantized
 * Visual Tokenizers", arXiv:2208.06366): one linear classifier over the VQ-KD vocabulary shared by
 * the last layer's patch tokens and the patch-aggregation decoder's, two cross-entropy terms on the
 * masked patches.
 *
 * Input: `feats`, `featsClsPt` `(N, L, C)` (BEiTV2Neck's outputs), the tokenizer's ids `(N, L)`, the
 * mask `(N, h, w)` or `(N, L)`. `losses` returns both terms (MMSelfSup's `loss_1`, `loss_2`);
 * `forward` their sum (what MMEngine optimises). Keys: `cls_head.{weight,bias}`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { HEADS } from '../registries.js';
import { BEiTHeadBase, type BEiTHeadOptions, beitHeadSchema } from './beitv1-head.js';

export class BEiTV2Head extends BEiTHeadBase {
  constructor(o: BEiTHeadOptions = {}, path = 'head') {
    super(o, path);
  }

  /** The two terms: CE on the last layer's tokens, CE on the decoder's. */
  losses(feats: Tensor, featsClsPt: Tensor, target: Tensor, mask: Tensor): [Tensor, Tensor] {
    if (feats.dim() !== 3 || featsClsPt.dim() !== 3 || feats.shape.join() !== featsClsPt.shape.join())
      throw new RangeError(`BEiTV2Head: expected two (N, L, C) token sets, got [${feats.shape}] and [${featsClsPt.shape}]`);
    const [n, l] = feats.shape;
    return torch.tidy(() => {
      const m = this.flatMask(mask, n, l, 'BEiTV2Head');
      const ids = this.ids(target, n, l, 'BEiTV2Head').index(m);
      return [
        this.loss.forward(this.cls_head.forward(feats.index(m)), ids),
        this.loss.forward(this.cls_head.forward(featsClsPt.index(m)), ids),
      ];
    });
  }

  forward(feats: Tensor, featsClsPt: Tensor, target: Tensor, mask: Tensor): Tensor {
    return torch.tidy(() => {
      const [a, b] = this.losses(feats, featsClsPt, target, mask);
      return a.add(b);
    });
  }
}

export const beitV2HeadPart = definePart({
  registry: HEADS,
  name: 'BEiTV2Head',
  schema: beitHeadSchema,
  description: "BEiT v2: shared classifier, cross-entropy on the last layer's and the decoder's masked tokens",
  build: (o, path) => new BEiTV2Head(o, path),
});
