/**
 * MMSelfSup's `MILANViT`, the encoder of MILAN (Hou et al. 2022, "MILAN: Masked Image Pretraining
 * on Language Assisted Representation", arXiv:2208.06049): MAE's ViT (fixed sine-cosine position
 * table, MAE's initialisation) whose masking is guided by a teacher's attention instead of uniform
 * noise. The patches are ordered by sampling without replacement with probabilities proportional to
 * their importance (the CLIP class token's attention to them), and the first ⌊L·(1 − ratio)⌋ are
 * encoded: the patches the teacher looks at are the likeliest to stay visible.
 *
 * Shapes: images `(N, C, H, W)`, importance `(N, L)` non-negative with a positive sum per row →
 * latent `(N, 1 + keep, D)` (class token first, after the final norm), `idsRestore (N, L)`,
 * `idsKeep (N, keep)`, `idsDump (N, L − keep)` and the mask `(N, L)` (1 = removed). Keys: timm's ViT.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { BACKBONES } from '../registries.js';
import { type MaskedOutput, type ViTOptions, VisionTransformer, vitSchema } from './vit.js';

/** MILAN's masked forward: MAE's outputs plus the kept and removed patch indices in sampled order. */
export interface AttentionMaskedOutput extends MaskedOutput {
  /** `(N, keep)` int64: patches encoded, in the order drawn. */
  idsKeep: Tensor;
  /** `(N, L − keep)` int64: patches removed, in the order drawn. */
  idsDump: Tensor;
}

/** MAE's ViT with MILAN's attention-guided masking (`forwardAttentionMasked`). */
export class MILANViT extends VisionTransformer {
  constructor(o: ViTOptions = {}) {
    super({ posEmbed: 'sincos', init: 'mae', ...o });
  }

  /**
   * Encodes the patches kept by importance-weighted sampling without replacement
   * (`torch.multinomial`, drawing from the default generator: `torch.manualSeed` repeats it).
   */
  forwardAttentionMasked(x: Tensor, importance: Tensor, maskRatio = this.maskRatio): AttentionMaskedOutput {
    if (!(maskRatio >= 0 && maskRatio < 1)) throw new RangeError(`MILANViT: mask ratio must be in [0, 1), got ${maskRatio}`);
    if (this.numPrefixTokens !== 1) throw new TypeError('MILANViT: needs a class token (clsToken: true)');
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      const [n, l, d] = patches.shape;
      if (importance.dim() !== 2 || importance.shape[0] !== n || importance.shape[1] !== l)
        throw new RangeError(`MILANViT: importance must be (N, L) = (${n}, ${l}), got [${importance.shape}]`);
      const pos = this.posEmbedFor(hw);
      const t = patches.add(pos.slice(1, 1));
      // MILAN's int(L·(1−r)), with MAE's tolerance for ratios like 0.9.
      const keep = Math.floor(l * (1 - maskRatio) + 1e-6);
      const idsShuffle = torch.ops.aten.multinomial(importance.detach(), l, false);
      const idsRestore = idsShuffle.argsort({ dim: 1 });
      const idsKeep = idsShuffle.slice(1, 0, keep);
      const idsDump = idsShuffle.slice(1, keep);
      const visible = t.gather(1, idsKeep.unsqueeze(-1).expand(n, keep, d));
      const sorted = torch.ones([n, l], { device: x.device });
      sorted.slice(1, 0, keep).zero_();
      const mask = sorted.gather(1, idsRestore);
      const cls = (this.clsToken as Tensor).add(pos.slice(1, 0, 1)).expand(n, -1, -1);
      let h = torch.cat([cls, visible], 1);
      for (const b of this.blocks) h = b.forward(h);
      const latent = this.norm ? this.norm.forward(h) : h;
      return { latent, mask, idsRestore, idsKeep, idsDump };
    });
  }
}

/** `MILANViT`: MAEViT whose masking follows the CLIP teacher's attention (Hou et al. 2022). */
export const milanVitPart = definePart({
  registry: BACKBONES,
  name: 'MILANViT',
  schema: vitSchema,
  description: "MILAN's ViT: MAE's ViT keeping the patches a CLIP teacher attends to (importance sampling)",
  build: (o) => new MILANViT(o),
});
