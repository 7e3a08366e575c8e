/**
 * mmpretrain's `iTPNHiViT` (Tian et al. 2023, "Integrally Pre-Trained Transformer Pyramid Networks",
 * arXiv:2211.12735), pixel-target variant: a HiViT whose fixed 2-D sine-cosine position embedding is
 * never trained and whose masked forward is MAE's. Because HiViT's stem never mixes patches, the
 * random masking is done on the patch embedding itself: per-sample noise `rand(N, L)`, argsort, keep
 * the first ⌊L·(1 − ratio)⌋ patches' `(4, 4)` inner-patch groups, run the stem and the attention
 * stage on those only, adding the kept patches' position rows after the stem.
 *
 * `forwardMasked` returns the pyramid iTPN's neck fuses: the visible patches before each merge,
 * `(N, keep, 4, 4, C/4)` and `(N, keep, 2, 2, C/2)`, and the main stage's `(N, keep, C)`, with the
 * `(N, L)` mask (1 = removed) and `idsRestore`. Keys are HiViT's (mmpretrain's).
 *
 * CLIP target (`reconstructionType: 'clip'`, mmpretrain's `forward_clip`): every patch goes through
 * the stem; at the main stage the masked patches' tokens (the pipeline's block-wise mask) are
 * replaced by a learned `mask_token`, the (frozen, here truncated-normal) position table is added and
 * the attention blocks run with the relative position bias. As in mmpretrain, the stem features
 * of the pyramid are those of the unmasked image. `forwardMaskToken` returns the full-length pyramid
 * `[(N, L, 4, 4, C/4), (N, L, 2, 2, C/2), (N, L, C)]`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { HiViT, HiViTBlock, hivitSchema } from './hivit.js';
import { sincos2dPosEmbed } from './pos-embed.js';

/** `iTPNHiViT` options: HiViT's plus the mask ratio and the target the pre-training regresses. */
export const itpnHivitSchema = z.strictObject({
  ...hivitSchema.shape,
  /** Fraction of patches removed by `forwardMasked` (pixel target). Default 0.75. */
  maskRatio: prob().optional(),
  /** mmpretrain's `reconstruction_type`: 'pixel' (MAE masking, default) or 'clip' (mask token, CLIP teacher). */
  reconstructionType: z.enum(['pixel', 'clip']).optional(),
});

export type ITPNHiViTOptions = z.input<typeof itpnHivitSchema>;

/** What `forwardMasked` returns. */
export interface ITPNMaskedOutput {
  /** `[(N, keep, 4, 4, C/4), (N, keep, 2, 2, C/2), (N, keep, C)]`: the pyramid of the visible patches. */
  pyramid: Tensor[];
  /** `(N, L)` float: 0 keep, 1 removed, in patch order. */
  mask: Tensor;
  /** `(N, L)` int64: gathering the shuffled sequence with it restores patch order. */
  idsRestore: Tensor;
}

/** iTPN's HiViT (Tian et al. 2023): fixed sine-cosine positions and MAE masking on whole 16-px patches. */
export class ITPNHiViT extends HiViT {
  readonly maskRatio: number;
  readonly reconstructionType: 'pixel' | 'clip';
  /** `(1, 1, C)`: what masked patches enter the main stage as (CLIP target only). */
  readonly maskToken: Tensor | null;

  constructor(o: ITPNHiViTOptions = {}) {
    const { maskRatio, reconstructionType, ...hivit } = o;
    super({ normEps: 1e-6, ...hivit });
    this.maskRatio = maskRatio ?? 0.75;
    this.reconstructionType = reconstructionType ?? 'pixel';
    // mmpretrain sets requires_grad=False on it: a fixed table (in both modes).
    this.posEmbed?.requiresGrad_(false);
    this.maskToken =
      this.reconstructionType === 'clip' ? this.registerParameter('mask_token', torch.zeros([1, 1, this.embedDims])) : null;
    // HiViT's constructor initialised before the mask token and the mode existed.
    if (this.maskToken) this.initWeights();
  }

  /**
   * Pixel target: HiViT's init, then the sine-cosine table (mmpretrain's
   * `build_2d_sincos_position_embedding`) and a Xavier patch projection. CLIP target: HiViT's init,
   * the mask token N(0, 0.02) truncated, and each block's `attn.proj` and `mlp.fc2` weights divided
   * by √(2·(i+1)), i its index in `blocks` (merges counted), as mmpretrain's `rescale_init_weight`.
   */
  override initWeights(): void {
    super.initWeights();
    if (this.maskToken) {
      const token = this.maskToken;
      torch.noGrad(() => {
        nn.init.truncNormal_(token, { std: 0.02 });
        for (const [i, blk] of [...this.blocks].entries()) {
          if (!(blk instanceof HiViTBlock)) continue;
          blk.attn?.proj.weight.div_(Math.sqrt(2 * (i + 1)));
          blk.mlp.fc2.weight.div_(Math.sqrt(2 * (i + 1)));
        }
      });
      return;
    }
    torch.noGrad(() =>
      torch.tidy(() => {
        if (this.posEmbed)
          this.posEmbed.copy_(sincos2dPosEmbed(this.embedDims, this.gridSize, { numPrefixTokens: 0, layout: 'mocov3' }));
        const w = this.patchEmbed.proj.weight;
        nn.init.xavierUniform_(w.view(w.shape[0], -1));
      }),
    );
  }

  /**
   * MAE's masking on `(N, 3, H, W)` images (the grid must be `imgSize`'s): draws `rand(N, L)` from the
   * default generator, so `torch.manualSeed` makes it repeatable.
   */
  forwardMasked(x: Tensor, maskRatio = this.maskRatio): ITPNMaskedOutput {
    if (!(maskRatio >= 0 && maskRatio < 1)) throw new RangeError(`iTPNHiViT: mask ratio must be in [0, 1), got ${maskRatio}`);
    return torch.tidy(() => {
      const inner = this.patchEmbed.forward(x);
      const [n, l, k, , c] = inner.shape;
      const [gh, gw] = this.gridSize;
      if (l !== gh * gw)
        throw new RangeError(
          `iTPNHiViT: masked pre-training needs ${gh * this.patchSize}-px images (grid ${gh}×${gw}), got [${x.shape}]`,
        );
      const keep = Math.floor(l * (1 - maskRatio) + 1e-6);
      const noise = torch.rand([n, l], { device: x.device });
      const idsShuffle = noise.argsort({ dim: 1 });
      const idsRestore = idsShuffle.argsort({ dim: 1 });
      const idsKeep = idsShuffle.slice(1, 0, keep);
      const visible = inner.gather(1, idsKeep.view(n, keep, 1, 1, 1).expand(n, keep, k, k, c));
      const sorted = torch.ones([n, l], { device: x.device });
      sorted.slice(1, 0, keep).zero_();
      const mask = sorted.gather(1, idsRestore);
      const { tokens, pyramid } = this.runStem(visible);
      let t = tokens;
      if (this.posEmbed) {
        const d = this.embedDims;
        t = t.add(this.posEmbed.expand(n, l, d).gather(1, idsKeep.unsqueeze(-1).expand(n, keep, d)));
      }
      t = this.posDrop.forward(t);
      // As mmpretrain's pixel forward: no relative position bias over a subset of the grid.
      for (const blk of this.mainBlocks) t = blk.forward(t);
      return { pyramid: [...pyramid, t], mask, idsRestore };
    });
  }

  /**
   * mmpretrain's `forward_clip` on `(N, 3, H, W)` images (the grid must be `imgSize`'s) and a mask
   * `(N, h, w)` or `(N, L)` (1/true = masked) → `[(N, L, 4, 4, C/4), (N, L, 2, 2, C/2), (N, L, C)]`.
   */
  forwardMaskToken(x: Tensor, mask: Tensor): Tensor[] {
    const token = this.maskToken;
    if (!token) throw new TypeError("iTPNHiViT: forwardMaskToken needs reconstructionType 'clip' (the mask token)");
    return torch.tidy(() => {
      const inner = this.patchEmbed.forward(x);
      const [n, l] = inner.shape;
      const [gh, gw] = this.gridSize;
      if (l !== gh * gw)
        throw new RangeError(
          `iTPNHiViT: masked pre-training needs ${gh * this.patchSize}-px images (grid ${gh}×${gw}), got [${x.shape}]`,
        );
      if (mask.shape[0] !== n || mask.numel() !== n * l)
        throw new RangeError(`iTPNHiViT: mask [${mask.shape}] must be (${n}, ${gh}, ${gw}) or (${n}, ${l})`);
      const { tokens, pyramid } = this.runStem(inner);
      const w = mask.reshape(n, l, 1).to({ dtype: tokens.dtype });
      let t = tokens.mul(w.rsub(1)).add(token.mul(w));
      if (this.posEmbed) t = t.add(this.posEmbed);
      t = this.posDrop.forward(t);
      for (const blk of this.mainBlocks) t = blk.forward(t, this.rpe);
      return [...pyramid, t];
    });
  }
}

/** `iTPNHiViT` in BACKBONES. */
export const itpnHivitPart = definePart({
  registry: BACKBONES,
  name: 'iTPNHiViT',
  schema: itpnHivitSchema,
  description: "iTPN's HiViT: fixed sine-cosine positions, MAE random masking of whole patches",
  build: (o) => new ITPNHiViT(o),
});
