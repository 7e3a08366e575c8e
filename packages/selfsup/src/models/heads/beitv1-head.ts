/**
 * MMSelfSup's `BEiTV1Head` (Bao et al. 2022, "BEiT: BERT Pre-Training of Image Transformers",
 * arXiv:2106.08254): a linear classifier over the visual vocabulary on the masked patches' tokens,
 * trained with cross-entropy against the DALL-E tokenizer's ids.
 *
 * Input: backbone tokens `(N, 1 + L, C)` (class token first, dropped), the tokenizer's logits
 * `(N, V, h, w)` (their argmax over V are the ids) or ids `(N, L)`, and the mask `(N, h, w)` or
 * `(N, L)` (1/true = masked). Output: the 0-d loss. Keys: `cls_head.{weight,bias}`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES } from '../registries.js';

const { init } = nn;

/** Logits `(M, V)`, ids `(M)` → 0-d loss. */
export type TokenLoss = nn.Module<[Tensor, Tensor], Tensor>;

/** `BEiTV1Head` / `BEiTV2Head` options (everything but `type`). */
export const beitHeadSchema = z.strictObject({
  /** The token width. Default 768. */
  embedDims: posInt().optional(),
  /** The tokenizer's vocabulary size. Default 8192. */
  numEmbed: posInt().optional(),
  /** Default `{ type: 'BEiTLoss' }`. */
  loss: typed<LossConfig>().optional(),
});
export type BEiTHeadOptions = z.input<typeof beitHeadSchema>;

/** The classifier and loss the two BEiT heads share. */
export abstract class BEiTHeadBase extends nn.Module<never[], Tensor> {
  readonly cls_head: nn.Linear;
  readonly loss: TokenLoss;
  readonly numEmbed: number;

  constructor(o: BEiTHeadOptions, path: string) {
    super();
    this.numEmbed = o.numEmbed ?? 8192;
    this.cls_head = this.registerModule('cls_head', new nn.Linear(o.embedDims ?? 768, this.numEmbed));
    this.loss = this.registerModule('loss', LOSSES.build(o.loss ?? { type: 'BEiTLoss' }, `${path}.loss`) as TokenLoss);
    torch.noGrad(() => {
      init.truncNormal_(this.cls_head.weight, { std: 0.02 });
      this.cls_head.bias?.zero_();
    });
  }

  /** The mask as `(N, L)` bool, checked against N images of L patches. */
  protected flatMask(mask: Tensor, n: number, l: number, who: string): Tensor {
    if (mask.numel() !== n * l)
      throw new RangeError(`${who}: mask of shape [${mask.shape}] does not cover ${n} images of ${l} patches`);
    return mask.reshape(n, l).to({ dtype: 'bool' });
  }

  /** The ids `(N, L)` of a tokenizer output: logits `(N, V, h, w)` (argmax over V) or ids `(N, L)`/`(N, h, w)`. */
  protected ids(target: Tensor, n: number, l: number, who: string): Tensor {
    const ids = target.dim() === 4 ? target.argmax(1).reshape(n, -1) : target.reshape(n, -1);
    if (ids.shape[1] !== l) {
      ids.dispose();
      throw new RangeError(
        `${who}: the tokenizer gave [${target.shape}] for ${l} patches per image (its grid must be the backbone's)`,
      );
    }
    return ids.to({ dtype: 'int64' });
  }
}

/** BEiT v1: cross-entropy of `cls_head` on the masked patches' final tokens. */
export class BEiTV1Head extends BEiTHeadBase {
  constructor(o: BEiTHeadOptions = {}, path = 'head') {
    super(o, path);
  }

  /** `feats (N, 1 + L, C)`, `target` logits `(N, V, h, w)` or ids `(N, L)`, `mask` → 0-d loss. */
  forward(feats: Tensor, target: Tensor, mask: Tensor): Tensor {
    if (feats.dim() !== 3) throw new RangeError(`BEiTV1Head: expected tokens (N, 1+L, C), got [${feats.shape}]`);
    const [n, t] = feats.shape;
    return torch.tidy(() => {
      const m = this.flatMask(mask, n, t - 1, 'BEiTV1Head');
      const ids = this.ids(target, n, t - 1, 'BEiTV1Head');
      const logits = this.cls_head.forward(feats.slice(1, 1).index(m));
      return this.loss.forward(logits, ids.index(m));
    });
  }
}

export const beitV1HeadPart = definePart({
  registry: HEADS,
  name: 'BEiTV1Head',
  schema: beitHeadSchema,
  description: "BEiT v1: cross-entropy of a linear classifier on masked patches against the DALL-E tokenizer's ids",
  build: (o, path) => new BEiTV1Head(o, path),
});
