/**
 * BEiT v2's patch-aggregation decoder (Peng et al. 2022, "BEiT v2: Masked Image Modeling with
 * Vector-Quantized Visual Tokenizers", arXiv:2208.06366), MMSelfSup's `BEiTV2Neck`: the last
 * layer's class token is put in front of an early layer's patch tokens (`earlyLayers` blocks in),
 * and a few more BEiT blocks run on them, so the class token has to gather the image's content; a
 * shared LayerNorm then normalises both the last layer's tokens and the decoder's.
 *
 * Input: `[early (N, 1 + L, C), last (N, 1 + L, C)]` (the backbone's `outIndices: [earlyLayers − 1, −1]`
 * outputs) and the backbone's shared relative position bias `(heads, 1 + L, 1 + L)` (or null).
 * Output: `[last, clsPt]`, both normalised, class token dropped: `(N, L, C)` each.
 * State-dict keys are MMSelfSup's module names with timm's block keys (as `BEiTViT`'s):
 * `patch_aggregation.0.attn.qkv.*`, `patch_aggregation.0.gamma_1`, `patch_aggregation.0.mlp.fc1.*`, `norm.*`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { BEiTBlock, rescaleBlockInit } from '../backbones/beit-vit.js';
import { NECKS } from '../registries.js';

const { init } = nn;

/** MMSelfSup's `BEiTV2Neck.arch_zoo`. */
const ARCHS = {
  base: { embedDim: 768, depth: 12, numHeads: 12 },
  large: { embedDim: 1024, depth: 24, numHeads: 16 },
} as const;

/** `BEiTV2Neck` options (everything but `type`); defaults are MMSelfSup's. */
export const beitV2NeckSchema = z.strictObject({
  /** Decoder blocks. Default 2. */
  numLayers: posInt().optional(),
  /** How many backbone blocks produced the early patch tokens. Default 9. */
  earlyLayers: posInt().optional(),
  /** The backbone's size (MMSelfSup's `backbone_arch`); `embedDim`/`numHeads`/`depth` override it. Default 'base'. */
  backboneArch: z.enum(['base', 'large']).optional(),
  embedDim: posInt().optional(),
  numHeads: posInt().optional(),
  /** The backbone's depth (sets the stochastic-depth schedule). */
  depth: posInt().optional(),
  mlpRatio: posNum().optional(),
  dropRate: prob().optional(),
  /** Block i of the decoder drops with rate linspace(0, rate, max(depth, early + num))[early + i]. Default 0. */
  dropPathRate: prob().optional(),
  /** Default 0.1. */
  layerScaleInit: nonNegNum().optional(),
  normEps: posNum().optional(),
});
export type BEiTV2NeckOptions = z.input<typeof beitV2NeckSchema>;

export class BEiTV2Neck extends nn.Module<[Tensor[], (Tensor | null)?], [Tensor, Tensor]> {
  readonly earlyLayers: number;
  readonly embedDim: number;
  readonly patchAggregation: nn.ModuleList<BEiTBlock>;
  readonly norm: nn.LayerNorm;

  constructor(o: BEiTV2NeckOptions = {}) {
    super();
    const arch = ARCHS[o.backboneArch ?? 'base'];
    this.embedDim = o.embedDim ?? arch.embedDim;
    const numHeads = o.numHeads ?? arch.numHeads;
    const depth = o.depth ?? arch.depth;
    const num = o.numLayers ?? 2;
    this.earlyLayers = o.earlyLayers ?? 9;
    const steps = Math.max(depth, this.earlyLayers + num);
    const rate = o.dropPathRate ?? 0;
    const blocks: BEiTBlock[] = [];
    for (let i = this.earlyLayers; i < this.earlyLayers + num; i++) {
      blocks.push(
        new BEiTBlock(this.embedDim, numHeads, {
          mlpRatio: o.mlpRatio,
          layerScaleInit: o.layerScaleInit ?? 0.1,
          dropPath: steps > 1 ? (rate * i) / (steps - 1) : 0,
          drop: o.dropRate ?? 0,
          normEps: o.normEps,
        }),
      );
    }
    this.patchAggregation = this.registerModule('patch_aggregation', new nn.ModuleList(blocks));
    this.norm = this.registerModule('norm', new nn.LayerNorm(this.embedDim, { eps: o.normEps ?? 1e-6 }));
    this.initWeights();
  }

  /**
   * Trunc-normal(0.02) linears with zero biases, then the blocks' output projections divided by
   * √(2·layer), layers numbered after the early ones (the official BEiT v2 init; MMSelfSup's
   * `init_cfg` re-initialisation of the linears would undo that rescaling).
   */
  initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const m of this.modules()) {
          if (m instanceof nn.Linear) {
            init.truncNormal_(m.weight, { std: 0.02 });
            m.bias?.zero_();
          }
        }
      }),
    );
    rescaleBlockInit(this.patchAggregation, this.earlyLayers);
  }

  /** `[early, last]` tokens `(N, 1 + L, C)` and the shared bias → `[norm(last), norm(clsPt)]` without class tokens. */
  forward(inputs: Tensor[], relPosBias: Tensor | null = null): [Tensor, Tensor] {
    if (inputs.length !== 2)
      throw new RangeError(
        `BEiTV2Neck: expected the backbone's [early, last] token outputs (outIndices: [${this.earlyLayers - 1}, -1]), got ${inputs.length}`,
      );
    const [early, last] = inputs;
    if (early.dim() !== 3 || last.dim() !== 3 || early.shape[2] !== this.embedDim || last.shape[2] !== this.embedDim)
      throw new RangeError(`BEiTV2Neck: expected (N, 1+L, ${this.embedDim}) tokens, got [${early.shape}] and [${last.shape}]`);
    return torch.tidy(() => {
      let clsPt = torch.cat([last.slice(1, 0, 1), early.slice(1, 1)], 1);
      for (const b of this.patchAggregation) clsPt = b.forward(clsPt, relPosBias);
      return [this.norm.forward(last).slice(1, 1), this.norm.forward(clsPt).slice(1, 1)];
    });
  }
}

/** `BEiTV2Neck`: BEiT v2's class-token patch aggregation blocks and shared norm. */
export const beitV2NeckPart = definePart({
  registry: NECKS,
  name: 'BEiTV2Neck',
  schema: beitV2NeckSchema,
  description: 'BEiT v2: blocks over the last class token + early patch tokens; shared norm, class tokens dropped',
  build: (o) => new BEiTV2Neck(o),
});
