/**
 * MMSelfSup's `MoCoV3ViT` (Chen et al. 2021, "An Empirical Study of Training Self-Supervised Vision
 * Transformers", arXiv:2104.02057; the official `moco-v3/vits.py`): a Vision Transformer with the
 * two stabilisers of the paper and its initialisation.
 *
 * - Fixed 2-D sine-cosine position embedding in MoCo v3's layout (`SincosLayout` 'mocov3'; the class
 *   token's row is zero), never trained.
 * - `stopGradConv1`: the patch projection is frozen at its random init ("random patch projection",
 *   the paper's fix for the training instability); it gets no gradient and no optimizer state.
 * - Initialisation: the patch projection as a linear map, U(±√(6 / (C·p² + D))) (Xavier uniform;
 *   MMSelfSup writes 3·p², the RGB case), zero bias; `qkv` weights U(±√(6 / (D_out/3 + D_in))), i.e.
 *   Xavier on each of Q, K, V separately; every other linear Xavier uniform; zero linear biases;
 *   class token N(0, 10⁻⁶); LayerNorm 1/0.
 *
 * `arch: 'mocov3-small'` is MoCo v3's ViT-S: D 384, 12 blocks, 12 heads (DeiT-S has 6), MLP 1536.
 * Input `(N, C, H, W)`; output as `VisionTransformer` (default: the class token `(N, D)` after the
 * final norm, what `NonLinearNeck` with `vitBackbone: true` takes). Keys are timm's; MMSelfSup's
 * (`layers.0.ln1.*`, `patch_embed.projection.*`) load through `adaptStateDict`.
 */
import * as torch from '@selfsup/torch';
import { nn } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { sincos2dPosEmbed } from './pos-embed.js';
import { VisionTransformer, type ViTArch, vitSchema } from './vit.js';

const { init } = nn;

/** `MoCoV3ViT` options: `VisionTransformer`'s, less the position-embedding kind and init scheme it fixes. */
export const mocoV3VitSchema = z.strictObject({
  ...vitSchema.omit({ arch: true, posEmbed: true, init: true }).shape,
  /** A named size; 'mocov3-small' is MoCo v3's ViT-S (12 heads). Default 'base'. */
  arch: z.enum(['tiny', 'small', 'base', 'large', 'huge', 'mocov3-small']).optional(),
  /** Freeze the patch projection (weight and bias) at its init. Default false (MMSelfSup's); its configs set true. */
  stopGradConv1: bool().optional(),
});

export type MoCoV3ViTOptions = z.input<typeof mocoV3VitSchema>;

/** A VisionTransformer with MoCo v3's fixed sine-cosine table, optional frozen patch projection and init. */
export class MoCoV3ViT extends VisionTransformer {
  readonly stopGradConv1: boolean;

  constructor(o: MoCoV3ViTOptions = {}) {
    const { arch, stopGradConv1, ...rest } = o;
    const size: { arch?: ViTArch; numHeads?: number } = arch === 'mocov3-small' ? { arch: 'small', numHeads: 12 } : { arch };
    super({ ...size, ...rest, posEmbed: 'sincos' });
    this.stopGradConv1 = stopGradConv1 ?? false;
    if (this.stopGradConv1) {
      this.patchEmbed.proj.weight.requiresGrad_(false);
      this.patchEmbed.proj.bias?.requiresGrad_(false);
    }
  }

  override initWeights(): void {
    // LayerNorm 1/0 (and the rest, all overwritten below) from the base scheme.
    super.initWeights();
    torch.noGrad(() =>
      torch.tidy(() => {
        this.posEmbed.copy_(
          sincos2dPosEmbed(this.embedDim, this.gridSize, { numPrefixTokens: this.numPrefixTokens, layout: 'mocov3' }),
        );
        const { weight, bias } = this.patchEmbed.proj;
        const fanIn = weight.shape.slice(1).reduce((a, b) => a * b, 1);
        const patchBound = Math.sqrt(6 / (fanIn + this.embedDim));
        init.uniform_(weight, -patchBound, patchBound);
        bias?.zero_();
        const qkvs = new Set<nn.AnyModule>([...this.blocks].map((b) => b.attn.qkv));
        for (const m of this.modules()) {
          if (!(m instanceof nn.Linear)) continue;
          if (qkvs.has(m)) {
            // Q, K and V are three D_in → D_out/3 maps: Xavier bound of one of them.
            const [out, inF] = m.weight.shape;
            const bound = Math.sqrt(6 / (out / 3 + inF));
            init.uniform_(m.weight, -bound, bound);
          } else {
            init.xavierUniform_(m.weight);
          }
          m.bias?.zero_();
        }
        if (this.clsToken) init.normal_(this.clsToken, 0, 1e-6);
      }),
    );
  }
}

/** `MoCoV3ViT`: MoCo v3's ViT (fixed sine-cosine table, `stopGradConv1`, its init); default ViT-B/16 at 224. */
export const mocoV3VitPart = definePart({
  registry: BACKBONES,
  name: 'MoCoV3ViT',
  schema: mocoV3VitSchema,
  description: "MoCo v3's ViT: fixed sine-cosine position table, optionally frozen patch projection, its init",
  build: (o) => new MoCoV3ViT(o),
});
