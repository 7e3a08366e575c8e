/**
 * MAE's lightweight decoder (He et al. 2022, "Masked Autoencoders Are Scalable Vision Learners"),
 * MMSelfSup's `MAEPretrainDecoder`: the encoder's visible tokens are projected to the decoder width,
 * a shared learnable `mask_token` fills the removed positions, `ids_restore` puts every token back
 * in patch order, the fixed 2-D sine-cosine table is added, and a few transformer blocks then a
 * linear layer predict each patch's pixels (`p²·C` values; `predictFeatureDim` for other targets).
 *
 * Input: `latent (N, 1 + keep, D)` (class token first) and `idsRestore (N, L)` from
 * `VisionTransformer.forwardMasked`; output `(N, L, p²·C)` predictions in patch order, class token
 * dropped. State-dict keys are the official MAE release's (`decoder_embed.*`, `mask_token`,
 * `decoder_pos_embed`, `decoder_blocks.0.norm1.*`, `…attn.qkv.*`, `…mlp.fc1.*`, `decoder_norm.*`,
 * `decoder_pred.*`); `convertMMSelfSupMAEDecoderKeys` maps MMSelfSup's (`decoder_blocks.0.ln1.*`,
 * `…ffn.layers.0.0.*`, `ln1.*`).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, posNum, z } from '../../core/schema.js';
import { Block } from '../backbones/vit.js';
import { type SincosLayout, sincos2dPosEmbed } from '../backbones/pos-embed.js';
import { NECKS } from '../registries.js';

const { init } = nn;

/**
 * The options every MAE-style decoder takes (MAE's, MILAN's, MixMIM's), as MMSelfSup names them;
 * the defaults are MMSelfSup's (ViT-L-sized input).
 */
export const maeDecoderShape = {
  /** Patches per image (a square grid): 196 for 224-px images and 16-px patches. */
  numPatches: posInt().optional(),
  patchSize: posInt().optional(),
  inChans: posInt().optional(),
  /** The encoder's width. Default 1024. */
  embedDim: posInt().optional(),
  decoderEmbedDim: posInt().optional(),
  decoderDepth: posInt().optional(),
  decoderNumHeads: posInt().optional(),
  mlpRatio: posNum().optional(),
  /** LayerNorm epsilon (MMSelfSup's `norm_cfg=dict(type='LN', eps=1e-6)`). */
  normEps: posNum().optional(),
};

/** `MAEPretrainDecoder` options (everything but `type`). */
export const maePretrainDecoderSchema = z.strictObject({
  ...maeDecoderShape,
  /** Width of each patch's prediction; default `patchSize² · inChans` (pixels). */
  predictFeatureDim: posInt().optional(),
});

export type MAEPretrainDecoderOptions = z.input<typeof maePretrainDecoderSchema>;

/** MAE's decoder: visible latent `(N, 1 + keep, D)` + `idsRestore (N, L)` → `(N, L, p²·C)`. */
export class MAEPretrainDecoder extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly numPatches: number;
  readonly gridSize: number;
  readonly patchSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly decoderEmbedDim: number;
  readonly predictFeatureDim: number;

  readonly decoderEmbed: nn.Linear;
  readonly maskToken: Tensor;
  readonly decoderPosEmbed: Tensor;
  readonly decoderBlocks: nn.ModuleList<Block>;
  readonly decoderNorm: nn.LayerNorm;
  readonly decoderPred: nn.Linear;

  constructor(o: MAEPretrainDecoderOptions = {}) {
    super();
    this.numPatches = o.numPatches ?? 196;
    this.gridSize = squareGrid(this.numPatches, 'MAEPretrainDecoder');
    this.patchSize = o.patchSize ?? 16;
    this.inChans = o.inChans ?? 3;
    this.embedDim = o.embedDim ?? 1024;
    this.decoderEmbedDim = o.decoderEmbedDim ?? 512;
    const depth = o.decoderDepth ?? 8;
    const heads = o.decoderNumHeads ?? 16;
    const eps = o.normEps ?? 1e-6;
    this.predictFeatureDim = o.predictFeatureDim ?? this.patchSize ** 2 * this.inChans;
    const d = this.decoderEmbedDim;

    this.decoderEmbed = this.registerModule('decoder_embed', new nn.Linear(this.embedDim, d));
    this.maskToken = this.registerParameter('mask_token', torch.zeros([1, 1, d]));
    // Fixed, as in MAE: a table, not a parameter anyone trains.
    this.decoderPosEmbed = this.registerParameter('decoder_pos_embed', torch.zeros([1, this.numPatches + 1, d]), false);
    const blocks: Block[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new Block(d, heads, { mlpRatio: o.mlpRatio ?? 4, qkvBias: true, normEps: eps }));
    this.decoderBlocks = this.registerModule('decoder_blocks', new nn.ModuleList(blocks));
    this.decoderNorm = this.registerModule('decoder_norm', new nn.LayerNorm(d, { eps }));
    this.decoderPred = this.registerModule('decoder_pred', new nn.Linear(d, this.predictFeatureDim));
    this.initWeights();
  }

  /** MAE's initialisation (`initMAEDecoderWeights`). */
  initWeights(): void {
    initMAEDecoderWeights(this, { posEmbed: this.decoderPosEmbed, maskToken: this.maskToken, grid: this.gridSize });
  }

  /** Visible tokens `latent (N, 1 + keep, D)` and `idsRestore (N, L)` → predictions `(N, L, predictFeatureDim)`. */
  forward(latent: Tensor, idsRestore: Tensor): Tensor {
    const [n, tokens, dim] = latent.shape;
    const l = idsRestore.shape[1];
    if (latent.dim() !== 3 || dim !== this.embedDim)
      throw new RangeError(`MAEPretrainDecoder: expected latent (N, 1 + keep, ${this.embedDim}), got [${latent.shape}]`);
    if (idsRestore.dim() !== 2 || idsRestore.shape[0] !== n || l !== this.numPatches || tokens - 1 > l)
      throw new RangeError(
        `MAEPretrainDecoder: ids_restore [${idsRestore.shape}] does not fit latent [${latent.shape}] and ${this.numPatches} patches`,
      );
    return torch.tidy(() => {
      const x = this.decoderEmbed.forward(latent);
      const d = this.decoderEmbedDim;
      const fill = this.maskToken.expand(n, l + 1 - tokens, d);
      const shuffled = torch.cat([x.slice(1, 1), fill], 1);
      const patches = shuffled.gather(1, idsRestore.unsqueeze(-1).expand(n, l, d));
      let h = torch.cat([x.slice(1, 0, 1), patches], 1).add(this.decoderPosEmbed);
      for (const b of this.decoderBlocks) h = b.forward(h);
      return this.decoderPred.forward(this.decoderNorm.forward(h)).slice(1, 1);
    });
  }

  override extraRepr(): string {
    return `num_patches=${this.numPatches}, embed_dim=${this.embedDim}, decoder_embed_dim=${this.decoderEmbedDim}, out=${this.predictFeatureDim}`;
  }
}

/** The side of a square patch grid of `numPatches`, or a RangeError naming `who`. */
export function squareGrid(numPatches: number, who: string): number {
  const side = Math.round(Math.sqrt(numPatches));
  if (side * side !== numPatches) throw new RangeError(`${who}: numPatches ${numPatches} is not a square grid`);
  return side;
}

/**
 * MAE's decoder initialisation (shared by the decoders built on it, MILAN's): the fixed sine-cosine
 * table (`prefix` leading zero rows, default 1 for the class token; `layout` default MAE's), the mask token N(0, 0.02),
 * Xavier-uniform linears with zero biases, LayerNorms 1/0.
 */
export function initMAEDecoderWeights(
  decoder: nn.AnyModule,
  o: { posEmbed: Tensor; maskToken: Tensor; grid: number; prefix?: number; layout?: SincosLayout },
): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      const dim = o.posEmbed.shape[2];
      o.posEmbed.copy_(sincos2dPosEmbed(dim, o.grid, { numPrefixTokens: o.prefix ?? 1, layout: o.layout }));
      init.normal_(o.maskToken, 0, 0.02);
      for (const m of decoder.modules()) {
        if (m instanceof nn.Linear) {
          init.xavierUniform_(m.weight);
          m.bias?.zero_();
        } else if (m instanceof nn.LayerNorm) {
          m.weight?.fill_(1);
          m.bias?.zero_();
        }
      }
    }),
  );
}

const MMSELFSUP_DECODER_RULES: [RegExp, string][] = [
  [/^decoder_blocks\.(\d+)\.ln1\./, 'decoder_blocks.$1.norm1.'],
  [/^decoder_blocks\.(\d+)\.ln2\./, 'decoder_blocks.$1.norm2.'],
  [/^decoder_blocks\.(\d+)\.ffn\.layers\.0\.0\./, 'decoder_blocks.$1.mlp.fc1.'],
  [/^decoder_blocks\.(\d+)\.ffn\.layers\.1\./, 'decoder_blocks.$1.mlp.fc2.'],
  [/^ln1\./, 'decoder_norm.'],
];

/**
 * Maps MMSelfSup's / mmpretrain's `MAEPretrainDecoder` keys (relative to the neck) to ours:
 * `decoder_blocks.0.ln1.*` → `norm1`, `ln2` → `norm2`, `ffn.layers.0.0` → `mlp.fc1`,
 * `ffn.layers.1` → `mlp.fc2`, `ln1.*` → `decoder_norm.*`; other keys are the same in both.
 */
export function convertMMSelfSupMAEDecoderKeys<T>(sd: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(sd)) {
    const rule = MMSELFSUP_DECODER_RULES.find(([re]) => re.test(k));
    out[rule ? k.replace(rule[0], rule[1]) : k] = v;
  }
  return out;
}

/** `MAEPretrainDecoder` in NECKS. */
export const maePretrainDecoderPart = definePart({
  registry: NECKS,
  name: 'MAEPretrainDecoder',
  schema: maePretrainDecoderSchema,
  description: "MAE's decoder: mask tokens, sine-cosine positions, transformer blocks, per-patch prediction",
  build: (o) => new MAEPretrainDecoder(o),
});
