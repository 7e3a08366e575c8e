/**
 * MixMIM's decoder (Liu et al. 2022, "MixMIM: Mixed and Masked Image Modeling", arXiv:2205.13137),
 * MMSelfSup's `MixMIMPretrainDecoder`: the encoder's mixed tokens `(N, L, D)` are projected to the
 * decoder width and "unmixed" into two sequences — image i's own tokens with a mask token wherever
 * the other image's stood, and the other image's tokens with mask tokens everywhere else — stacked
 * as a `(2N, L, d)` batch, given the fixed 2-D sine-cosine table (no class token) and decoded by a
 * few transformer blocks, a LayerNorm and a linear map to the pixels of each `encoderStride`-px cell.
 *
 * Input: latent `(N, L, D)` and mask `(1, L)` (1 = the other image) from
 * `MixMIMTransformer.forwardMixed`; output `(2N, L, s²·C)`. Keys as `MAEPretrainDecoder`'s
 * (`decoder_embed`, `mask_token`, `decoder_pos_embed`, `decoder_blocks.*`, `decoder_norm`,
 * `decoder_pred`); `convertMMSelfSupMAEDecoderKeys` maps MMSelfSup's block names.
 *
 * Initialisation is MMSelfSup's, which (unlike MAE's decoder) re-initialises only the position table
 * and the mask token (N(0, 0.02)) and the blocks' MLPs (mmcls: Xavier-uniform weights, N(0, 1e-6)
 * biases); the embedding, attention and prediction linears keep PyTorch's defaults.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { sincos2dPosEmbed } from '../backbones/pos-embed.js';
import { Block } from '../backbones/vit.js';
import { NECKS } from '../registries.js';
import { maeDecoderShape, squareGrid } from './mae-pretrain-decoder.js';

const { init } = nn;

/**
 * `MixMIMPretrainDecoder` options (everything but `type`); defaults are MMSelfSup's. `numPatches`
 * counts the cells of the encoder's final (square) grid (49 for 224-px images at stride 32), and
 * `patchSize` is unused (MMSelfSup's argument, kept for its configs).
 */
export const mixmimPretrainDecoderSchema = z.strictObject({
  ...maeDecoderShape,
  /** The encoder's total stride: each token predicts `encoderStride² · inChans` pixels. Default 32. */
  encoderStride: posInt().optional(),
});
export type MixMIMPretrainDecoderOptions = z.input<typeof mixmimPretrainDecoderSchema>;

/** MixMIM's decoder: mixed latent `(N, L, D)` + mask `(1, L)` → `(2N, L, s²·C)` (both unmixed halves). */
export class MixMIMPretrainDecoder extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly numPatches: number;
  readonly gridSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly encoderStride: number;
  readonly decoderEmbedDim: number;

  readonly decoderEmbed: nn.Linear;
  readonly maskToken: Tensor;
  readonly decoderPosEmbed: Tensor;
  readonly decoderBlocks: nn.ModuleList<Block>;
  readonly decoderNorm: nn.LayerNorm;
  readonly decoderPred: nn.Linear;

  constructor(o: MixMIMPretrainDecoderOptions = {}) {
    super();
    this.numPatches = o.numPatches ?? 196;
    this.gridSize = squareGrid(this.numPatches, 'MixMIMPretrainDecoder');
    this.inChans = o.inChans ?? 3;
    this.embedDim = o.embedDim ?? 1024;
    this.encoderStride = o.encoderStride ?? 32;
    this.decoderEmbedDim = o.decoderEmbedDim ?? 512;
    const d = this.decoderEmbedDim;
    const eps = o.normEps ?? 1e-6;
    this.decoderEmbed = this.registerModule('decoder_embed', new nn.Linear(this.embedDim, d));
    this.maskToken = this.registerParameter('mask_token', torch.zeros([1, 1, d]));
    this.decoderPosEmbed = this.registerParameter('decoder_pos_embed', torch.zeros([1, this.numPatches, d]), false);
    const blocks: Block[] = [];
    for (let i = 0; i < (o.decoderDepth ?? 8); i++)
      blocks.push(new Block(d, o.decoderNumHeads ?? 16, { mlpRatio: o.mlpRatio ?? 4, qkvBias: true, normEps: eps }));
    this.decoderBlocks = this.registerModule('decoder_blocks', new nn.ModuleList(blocks));
    this.decoderNorm = this.registerModule('decoder_norm', new nn.LayerNorm(d, { eps }));
    this.decoderPred = this.registerModule('decoder_pred', new nn.Linear(d, this.encoderStride ** 2 * this.inChans));
    this.initWeights();
  }

  /** MMSelfSup's initialisation (see the module docstring). */
  initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        this.decoderPosEmbed.copy_(sincos2dPosEmbed(this.decoderEmbedDim, this.gridSize, { numPrefixTokens: 0 }));
        init.normal_(this.maskToken, 0, 0.02);
        for (const b of this.decoderBlocks) {
          for (const fc of [b.mlp.fc1, b.mlp.fc2]) {
            init.xavierUniform_(fc.weight);
            if (fc.bias) init.normal_(fc.bias, 0, 1e-6);
          }
        }
      }),
    );
  }

  /** Mixed latent `(N, L, D)` and mask `(1, L)` (1 = the other image) → `(2N, L, encoderStride²·inChans)`. */
  forward(latent: Tensor, mask: Tensor): Tensor {
    const [n, l, dim] = latent.shape;
    if (latent.dim() !== 3 || dim !== this.embedDim || l !== this.numPatches)
      throw new RangeError(
        `MixMIMPretrainDecoder: expected latent (N, ${this.numPatches}, ${this.embedDim}), got [${latent.shape}]`,
      );
    if (mask.numel() !== l)
      throw new RangeError(`MixMIMPretrainDecoder: mask [${mask.shape}] does not have one entry per token (${l})`);
    return torch.tidy(() => {
      const x = this.decoderEmbed.forward(latent);
      const m = mask.reshape(1, l, 1).to(x.dtype);
      const tokens = this.maskToken.expand(n, l, this.decoderEmbedDim);
      const own = x.mul(m.rsub(1)).add(tokens.mul(m));
      const other = x.mul(m).add(tokens.mul(m.rsub(1)));
      let h = torch.cat([own, other], 0).add(this.decoderPosEmbed);
      for (const b of this.decoderBlocks) h = b.forward(h);
      return this.decoderPred.forward(this.decoderNorm.forward(h));
    });
  }

  override extraRepr(): string {
    return `num_patches=${this.numPatches}, embed_dim=${this.embedDim}, decoder_embed_dim=${this.decoderEmbedDim}, encoder_stride=${this.encoderStride}`;
  }
}

/** `MixMIMPretrainDecoder` in NECKS. */
export const mixmimPretrainDecoderPart = definePart({
  registry: NECKS,
  name: 'MixMIMPretrainDecoder',
  schema: mixmimPretrainDecoderSchema,
  description: "MixMIM's decoder: unmix with mask tokens into two sequences, decode each cell's pixels",
  build: (o) => new MixMIMPretrainDecoder(o),
});
