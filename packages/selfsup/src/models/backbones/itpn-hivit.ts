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
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { HiViT, hivitSchema } from './hivit.js';
import { sincos2dPosEmbed } from './pos-embed.js';

/** `iTPNHiViT` options: HiViT's plus the mask ratio; `reconstructionType` only 'pixel' (the CLIP target is not built). */
export const itpnHivitSchema = z.strictObject({
  ...hivitSchema.shape,
  /** Fraction of patches removed by `forwardMasked`. Default 0.75. */
  maskRatio: prob().optional(),
  /** mmpretrain's `reconstruction_type`; only the pixel target exists here. */
  reconstructionType: z.literal('pixel').optional(),
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

  constructor(o: ITPNHiViTOptions = {}) {
    const { maskRatio, reconstructionType: _pixel, ...hivit } = o;
    super({ normEps: 1e-6, ...hivit });
    this.maskRatio = maskRatio ?? 0.75;
    // mmpretrain sets requires_grad=False on it: a fixed table.
    this.posEmbed?.requiresGrad_(false);
  }

  /** HiViT's init, then the sine-cosine table (mmpretrain's `build_2d_sincos_position_embedding`) and a Xavier patch projection. */
  override initWeights(): void {
    super.initWeights();
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
}

/** `iTPNHiViT` in BACKBONES. */
export const itpnHivitPart = definePart({
  registry: BACKBONES,
  name: 'iTPNHiViT',
  schema: itpnHivitSchema,
  description: "iTPN's HiViT: fixed sine-cosine positions, MAE random masking of whole patches",
  build: (o) => new ITPNHiViT(o),
});
