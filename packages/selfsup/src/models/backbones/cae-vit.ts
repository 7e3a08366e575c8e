/**
 * CAE's encoder (Chen et al. 2022, "Context Autoencoder for Self-Supervised Representation
 * Learning", arXiv:2202.03026), as MMSelfSup 1.x's `CAEViT`: a ViT whose blocks have BEiT's
 * query/value biases (no key bias) and layer scale, a fixed 2-D sine-cosine position embedding
 * (`pos_embed`, class-token row zero, not trained) and no relative position bias; in pre-training it
 * encodes only the visible patches.
 * - `forward(x, mask)`: `x (N, C, H, W)`, `mask (N, h, w)` or `(N, L)` (1/true = masked, the same
 *   count in every image) → `[tokens (N, 1 + V, C)]`, the class token then the V visible patches in
 *   grid order, after the final norm. Without a mask it is `BEiTViT`'s forward (every patch).
 *
 * It is a `BEiTViT` without mask token or relative bias, so its keys are the same timm `Beit` keys
 * (`blocks.0.attn.q_bias`, `blocks.0.gamma_1`, `norm.*`, `pos_embed`) and MMSelfSup checkpoints
 * (`layers.0.ln1.*`, `ffn.layers.0.0.*`, `ln1.*`) load through `adaptStateDict`. MMSelfSup's
 * `qkv_bias=False` (what every CAE config sets) is `qvBias: true` here: q/v biases, no key bias.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { backboneShape } from './base.js';
import { BEiTAttention, BEiTViT } from './beit-vit.js';
import { sincos2dPosEmbed } from './pos-embed.js';
import { pairSchema } from './vit.js';

const { init } = nn;

/** `CAEViT` options (everything but `type`); defaults are MMSelfSup's CAE configs'. */
export const caeVitSchema = z.strictObject({
  ...backboneShape,
  arch: z.enum(['tiny', 'small', 'base', 'large']).optional(),
  embedDim: posInt().optional(),
  depth: posInt().optional(),
  numHeads: posInt().optional(),
  mlpRatio: posNum().optional(),
  imgSize: pairSchema().optional(),
  patchSize: pairSchema().optional(),
  inChannels: posInt().optional(),
  /** `q_bias`/`v_bias` and no key bias (MMSelfSup's `qkv_bias=False`). Default true. */
  qvBias: bool().optional(),
  dropRate: prob().optional(),
  /** Stochastic depth: block i drops with rate i/(depth−1)·dropPathRate. Default 0. */
  dropPathRate: prob().optional(),
  normEps: posNum().optional(),
  /** LayerNorm after the last block. Default true. */
  finalNorm: bool().optional(),
  /** Layer scale init (MMSelfSup's `init_values`); 0 for none. Default 0.1. */
  layerScaleInit: nonNegNum().optional(),
  outType: z.enum(['clsToken', 'featmap', 'avgFeatmap', 'raw']).optional(),
});
export type CAEViTOptions = z.input<typeof caeVitSchema>;

export class CAEViT extends BEiTViT {
  /** The fixed sine-cosine table `(1, 1 + L, C)` (as `posEmbed`, never null here). */
  readonly fixedPosEmbed: Tensor;

  constructor(o: CAEViTOptions = {}) {
    const { qvBias, ...rest } = o;
    super({
      ...rest,
      qkvBias: qvBias ?? true,
      absPosEmbed: true,
      maskToken: false,
      relPosBias: false,
      sharedRelPosBias: false,
      layerScaleInit: o.layerScaleInit ?? 0.1,
    });
    if (!this.posEmbed) throw new Error('CAEViT: internal: no position embedding');
    this.fixedPosEmbed = this.posEmbed;
    // MMSelfSup sets `pos_embed.requires_grad = False`: the table stays the sine-cosine one.
    this.posEmbed.requiresGrad_(false);
  }

  /**
   * MMSelfSup's `CAEViT.init_weights`: Xavier-uniform linears with zero biases, LayerNorm 1/0,
   * trunc-normal(0.02) patch convolution and class token, the 2-D sine-cosine table (MoCo v3's
   * layout, zero class row); layer scales at `layerScaleInit`, q/v biases zero. No depth rescaling.
   */
  override initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const m of this.modules()) {
          if (m instanceof nn.Linear) {
            init.xavierUniform_(m.weight);
            m.bias?.zero_();
          } else if (m instanceof nn.Conv2d) {
            init.truncNormal_(m.weight, { std: 0.02 });
            m.bias?.zero_();
          } else if (m instanceof nn.LayerNorm) {
            m.weight?.fill_(1);
            m.bias?.zero_();
          } else if (m instanceof BEiTAttention) {
            m.q_bias?.zero_();
            m.v_bias?.zero_();
          }
        }
        for (const b of this.blocks) {
          const ls = b.o.layerScaleInit ?? 0;
          b.gamma_1?.fill_({ float: ls });
          b.gamma_2?.fill_({ float: ls });
        }
        init.truncNormal_(this.clsToken, { std: 0.02 });
        const [gh, gw] = this.gridSize;
        if (gh !== gw) throw new RangeError(`CAEViT: the sine-cosine table needs a square patch grid, got ${gh}x${gw}`);
        this.posEmbed?.copy_(
          sincos2dPosEmbed(this.embedDim, gh, { numPrefixTokens: 1, layout: 'mocov3' }).to({ dtype: this.clsToken.dtype }),
        );
      }),
    );
  }

  /** Rows of `(N, L, C)` tokens where `keep (N, L)` is true, as `(N, K, C)`; every image must keep K. */
  static gatherRows(tokens: Tensor, keep: Tensor, who: string): Tensor {
    const [n, l, c] = tokens.shape;
    if (keep.shape[0] !== n || keep.shape[1] !== l)
      throw new RangeError(`${who}: mask of shape [${keep.shape}] does not match ${n} images of ${l} patches`);
    return torch.tidy(() => {
      const counts = keep.sum(1);
      const k = counts.select(0, 0).item();
      if (counts.ne(k).any().item())
        throw new RangeError(`${who}: every image must mask the same number of patches (got ${counts.toList()} kept)`);
      return tokens.index(keep).reshape(n, k, c);
    });
  }

  /** The mask as `(N, L)` bool for N images of this model's grid at `hw`. */
  flatMask(mask: Tensor, n: number): Tensor {
    const [gh, gw] = this.gridSize;
    if (mask.numel() !== n * gh * gw)
      throw new RangeError(`CAEViT: mask of shape [${mask.shape}] does not match ${n} images of ${gh}x${gw} patches`);
    return mask.reshape(n, gh * gw).to({ dtype: 'bool' });
  }

  /**
   * Encodes the visible patches only: `[tokens (N, 1 + V, C)]` (class token first) with
   * `mask (N, h, w)` / `(N, L)`; without one every patch (`BEiTViT.forward`).
   */
  override forward(x: Tensor, mask?: Tensor | null): Tensor[] {
    if (!mask) return super.forward(x);
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      const [n] = patches.shape;
      if (hw[0] !== this.gridSize[0] || hw[1] !== this.gridSize[1])
        throw new RangeError(
          `CAEViT: masked encoding needs imgSize images (${this.gridSize} patches), got ${hw[0]}x${hw[1]} patches`,
        );
      const visible = this.flatMask(mask, n).logicalNot();
      const pos = this.fixedPosEmbed.expand(n, -1, -1);
      let t = CAEViT.gatherRows(patches, visible, 'CAEViT').add(CAEViT.gatherRows(pos.slice(1, 1), visible, 'CAEViT'));
      t = torch.cat([this.clsToken.add(this.fixedPosEmbed.slice(1, 0, 1)).expand(n, -1, -1), t], 1);
      t = this.posDrop.forward(t);
      for (const b of this.blocks) t = b.forward(t, null);
      return [this.norm ? this.norm.forward(t) : t];
    });
  }
}

/** `CAEViT`: MMSelfSup's CAE encoder (q/v biases, layer scale, fixed sine-cosine table, visible patches only). */
export const caeVitPart = definePart({
  registry: BACKBONES,
  name: 'CAEViT',
  schema: caeVitSchema,
  description: "CAE's ViT: q/v biases, layer scale, fixed sin-cos position embedding; encodes only the visible patches",
  build: (o) => new CAEViT(o),
});
