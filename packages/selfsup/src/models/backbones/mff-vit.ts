/**
 * mmpretrain's `MFFViT` (Liu et al. 2023, "Improving Pixel-based MIM by Reducing Wasted Modeling
 * Capability", arXiv:2308.00261): MAE's ViT whose masked encoding is a learned mixture of several
 * blocks' outputs instead of the last block's alone, so that the pixel decoder can draw on low-level
 * features and the deep layers need not keep them.
 *
 * For `outIndices` i₁ < … < i_K the masked forward computes, over the visible tokens `(N, 1 + keep, C)`,
 *
 *   fused = Σ_k softmax(w)_k · P_k(block_{i_k} output),   latent = norm(fused),
 *
 * with P_k a `C → C` linear (`proj_layers.{k}`) for k < K and the identity for the last index, and w
 * the `(K, 1, 1, 1)` logits `proj_weights` (ones at start; frozen when K = 1). The last block's output
 * enters before the final norm, which is applied to the mixture. The unmasked `forward` is the
 * plain ViT's (all `outIndices` outputs), as mmpretrain's. Keys: the ViT's (timm's names) plus
 * `proj_layers.*` and `proj_weights`, which mmpretrain names the same.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { BACKBONES } from '../registries.js';
import { VisionTransformer, type ViTOptions, vitSchema } from './vit.js';

const { F } = torch;

/** MAE's ViT with a learned fusion of the `outIndices` blocks' outputs in its masked forward. */
export class MFFViT extends VisionTransformer {
  readonly projLayers: nn.ModuleList<nn.Linear>;
  /** `(K, 1, 1, 1)` fusion logits over the `outIndices` outputs. */
  readonly projWeights: Tensor;

  constructor(o: ViTOptions = {}) {
    super({ posEmbed: 'sincos', init: 'mae', ...o });
    const sorted = this.outIndices.every((v, i) => i === 0 || v > this.outIndices[i - 1]);
    if (!sorted) throw new RangeError(`MFFViT: outIndices must be increasing, got [${this.outIndices}]`);
    const k = this.outIndices.length;
    const projs: nn.Linear[] = [];
    for (let i = 0; i < k - 1; i++) projs.push(new nn.Linear(this.embedDim, this.embedDim));
    this.projLayers = this.registerModule('proj_layers', new nn.ModuleList(projs));
    this.projWeights = this.registerParameter('proj_weights', torch.ones([k, 1, 1, 1]));
    // One output: nothing to weigh (mmpretrain freezes the single logit).
    if (k === 1) this.projWeights.requiresGrad_(false);
    // The base constructor initialised the modules it had; the projections get MAE's Xavier init too.
    torch.noGrad(() => {
      for (const p of projs) {
        if (this.o.init === 'mae' || this.o.init === undefined) nn.init.xavierUniform_(p.weight);
        else nn.init.truncNormal_(p.weight, { std: 0.02 });
        p.bias?.zero_();
      }
    });
  }

  /** The fusion weights softmax(w), `(K)`, detached (what MFF logs as `weight_k`). */
  fusionWeights(): number[] {
    return torch.noGrad(() =>
      torch.tidy(() => Array.from(F.softmax(this.projWeights.view(-1).to('float64'), 0).toTypedArray() as Float64Array)),
    );
  }

  /** The blocks over the visible tokens, then the final norm over the weighted mixture of the `outIndices` outputs. */
  protected override encodeVisible(h: Tensor): Tensor {
    return torch.tidy(() => {
      const last = this.outIndices[this.outIndices.length - 1];
      const outs: Tensor[] = [];
      let t = h;
      for (let i = 0; i <= last; i++) {
        t = this.blocks.at(i).forward(t);
        const k = this.outIndices.indexOf(i);
        if (k >= 0) outs.push(i === last ? t : this.projLayers.at(k).forward(t));
      }
      const w = F.softmax(this.projWeights, 0);
      const fused = torch.stack(outs).mul(w).sum(0);
      return this.norm ? this.norm.forward(fused) : fused;
    });
  }
}

/** `MFFViT`: MAEViT (sine-cosine positions, MAE init) with multi-level feature fusion over `outIndices`. */
export const mffVitPart = definePart({
  registry: BACKBONES,
  name: 'MFFViT',
  schema: vitSchema,
  description: "MFF's ViT: MAEViT whose masked encoding is a learned softmax mixture of several blocks' outputs",
  build: (o) => new MFFViT(o),
});
