/**
 * MILAN's prompting decoder (Hou et al. 2022, "MILAN: Masked Image Pretraining on Language Assisted
 * Representation", arXiv:2208.06049), MMSelfSup's `MILANPretrainDecoder`: as MAE's decoder, the
 * visible tokens are projected to the decoder width, mask tokens fill the removed positions and the
 * fixed sine-cosine table is added; but the visible tokens (and the class token) are *prompts*: only
 * the mask tokens go through the blocks, each block's attention taking its queries from the mask
 * tokens and its keys and values from the prompts and the mask tokens together, so the encoder's
 * output is never rewritten by the decoder. All tokens are then put back in patch order, normalised
 * and projected to the teacher's width (`predictFeatureDim`, MMSelfSup's fixed 512).
 *
 * Input: `latent (N, 1 + keep, D)` and `idsRestore (N, L)`, `idsKeep (N, keep)`, `idsDump (N, L − keep)`
 * from `MILANViT.forwardAttentionMasked`; output `(N, 1 + L, predictFeatureDim)`, class token first.
 * Keys: MAE's decoder's (`decoder_embed.*`, `mask_token`, `decoder_pos_embed`, `decoder_norm.*`,
 * `decoder_pred.*`) with blocks `decoder_blocks.0.{norm1, attn.q, attn.kv, attn.proj, norm2, mlp.fc1,
 * mlp.fc2}.*`; `convertMMSelfSupMAEDecoderKeys` maps MMSelfSup's `ln1`/`ffn.layers` names.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { Mlp } from '../backbones/vit.js';
import { NECKS } from '../registries.js';
import { initMAEDecoderWeights, maeDecoderShape, squareGrid } from './mae-pretrain-decoder.js';

const { F } = torch;

/** `MILANPretrainDecoder` options (everything but `type`); defaults are MMSelfSup's. */
export const milanPretrainDecoderSchema = z.strictObject({
  ...maeDecoderShape,
  /** The teacher's feature width. Default 512 (CLIP ViT-B/16). */
  predictFeatureDim: posInt().optional(),
});
export type MILANPretrainDecoderOptions = z.input<typeof milanPretrainDecoderSchema>;

/** Attention whose queries are the mask tokens and whose keys/values are prompts + mask tokens (`q`, `kv`, `proj`). */
export class PromptAttention extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly q: nn.Linear;
  readonly kv: nn.Linear;
  readonly proj: nn.Linear;
  readonly headDim: number;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
  ) {
    super();
    if (dim % numHeads !== 0) throw new RangeError(`MILANPretrainDecoder: width ${dim} is not divisible by ${numHeads} heads`);
    this.headDim = dim / numHeads;
    this.q = this.registerModule('q', new nn.Linear(dim, dim));
    this.kv = this.registerModule('kv', new nn.Linear(dim, 2 * dim));
    this.proj = this.registerModule('proj', new nn.Linear(dim, dim));
  }

  /** Mask tokens `(N, M, C)` (normalised) and prompts `(N, 1 + keep, C)` → `(N, M, C)`. */
  forward(x: Tensor, prompts: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, m, c] = x.shape;
      const h = this.numHeads;
      // MMSelfSup first restores patch order for the keys; attention is invariant to the order of its
      // keys and values (one softmax over them, one weighted sum), so the concatenation suffices.
      const all = torch.cat([prompts, x], 1);
      const s = all.shape[1];
      const q = this.q.forward(x).reshape(n, m, h, this.headDim).transpose(1, 2);
      const [k, v] = this.kv.forward(all).reshape(n, s, 2, h, this.headDim).permute(2, 0, 3, 1, 4).unbind(0);
      const o = F.scaledDotProductAttention(q, k, v);
      return this.proj.forward(o.transpose(1, 2).reshape(n, m, c));
    });
  }
}

/** MILAN's decoder block: x + attn(norm1(x), prompts), then x + mlp(norm2(x)); the prompts enter un-normalised, as MMSelfSup's. */
export class PromptBlock extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly norm1: nn.LayerNorm;
  readonly attn: PromptAttention;
  readonly norm2: nn.LayerNorm;
  readonly mlp: Mlp;

  constructor(dim: number, heads: number, mlpRatio: number, eps: number) {
    super();
    this.norm1 = this.registerModule('norm1', new nn.LayerNorm(dim, { eps }));
    this.attn = this.registerModule('attn', new PromptAttention(dim, heads));
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(dim, { eps }));
    this.mlp = this.registerModule('mlp', new Mlp(dim, Math.round(dim * mlpRatio)));
  }

  forward(x: Tensor, prompts: Tensor): Tensor {
    return torch.tidy(() => {
      const y = x.add(this.attn.forward(this.norm1.forward(x), prompts));
      return y.add(this.mlp.forward(this.norm2.forward(y)));
    });
  }
}

/** MILAN's decoder: `(latent, idsRestore, idsKeep, idsDump)` → `(N, 1 + L, predictFeatureDim)`. */
export class MILANPretrainDecoder extends nn.Module<[Tensor, Tensor, Tensor, Tensor], Tensor> {
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
  readonly decoderBlocks: nn.ModuleList<PromptBlock>;
  readonly decoderNorm: nn.LayerNorm;
  readonly decoderPred: nn.Linear;

  constructor(o: MILANPretrainDecoderOptions = {}) {
    super();
    this.numPatches = o.numPatches ?? 196;
    this.gridSize = squareGrid(this.numPatches, 'MILANPretrainDecoder');
    this.patchSize = o.patchSize ?? 16;
    this.inChans = o.inChans ?? 3;
    this.embedDim = o.embedDim ?? 1024;
    this.decoderEmbedDim = o.decoderEmbedDim ?? 512;
    this.predictFeatureDim = o.predictFeatureDim ?? 512;
    const d = this.decoderEmbedDim;
    const eps = o.normEps ?? 1e-6;
    const blocks: PromptBlock[] = [];
    for (let i = 0; i < (o.decoderDepth ?? 8); i++)
      blocks.push(new PromptBlock(d, o.decoderNumHeads ?? 16, o.mlpRatio ?? 4, eps));

    this.decoderEmbed = this.registerModule('decoder_embed', new nn.Linear(this.embedDim, d));
    this.maskToken = this.registerParameter('mask_token', torch.zeros([1, 1, d]));
    this.decoderPosEmbed = this.registerParameter('decoder_pos_embed', torch.zeros([1, this.numPatches + 1, d]), false);
    this.decoderBlocks = this.registerModule('decoder_blocks', new nn.ModuleList(blocks));
    this.decoderNorm = this.registerModule('decoder_norm', new nn.LayerNorm(d, { eps }));
    this.decoderPred = this.registerModule('decoder_pred', new nn.Linear(d, this.predictFeatureDim));
    this.initWeights();
  }

  /** MAE's initialisation: sine-cosine table, mask token N(0, 0.02), Xavier-uniform linears, LayerNorm 1/0. */
  initWeights(): void {
    initMAEDecoderWeights(this, { posEmbed: this.decoderPosEmbed, maskToken: this.maskToken, grid: this.gridSize });
  }

  forward(latent: Tensor, idsRestore: Tensor, idsKeep: Tensor, idsDump: Tensor): Tensor {
    const [n, tokens, dim] = latent.shape;
    const l = this.numPatches;
    if (latent.dim() !== 3 || dim !== this.embedDim)
      throw new RangeError(`MILANPretrainDecoder: expected latent (N, 1 + keep, ${this.embedDim}), got [${latent.shape}]`);
    const keep = tokens - 1;
    const fits = (t: Tensor, len: number) => t.dim() === 2 && t.shape[0] === n && t.shape[1] === len;
    if (!fits(idsRestore, l) || !fits(idsKeep, keep) || !fits(idsDump, l - keep))
      throw new RangeError(
        `MILANPretrainDecoder: ids_restore [${idsRestore.shape}], ids_keep [${idsKeep.shape}], ids_dump [${idsDump.shape}] ` +
          `do not fit latent [${latent.shape}] and ${l} patches`,
      );
    return torch.tidy(() => {
      const d = this.decoderEmbedDim;
      const x = this.decoderEmbed.forward(latent);
      const gatherTokens = (t: Tensor, ids: Tensor) => t.gather(1, ids.unsqueeze(-1).expand(n, ids.shape[1], d));
      const fill = this.maskToken.expand(n, l - keep, d);
      const patches = gatherTokens(torch.cat([x.slice(1, 1), fill], 1), idsRestore).add(this.decoderPosEmbed.slice(1, 1));
      const cls = x.slice(1, 0, 1).add(this.decoderPosEmbed.slice(1, 0, 1));
      const prompts = torch.cat([cls, gatherTokens(patches, idsKeep)], 1);
      let masked = gatherTokens(patches, idsDump);
      for (const b of this.decoderBlocks) masked = b.forward(masked, prompts);
      const restored = gatherTokens(torch.cat([prompts.slice(1, 1), masked], 1), idsRestore);
      const all = torch.cat([cls, restored], 1);
      return this.decoderPred.forward(this.decoderNorm.forward(all));
    });
  }

  override extraRepr(): string {
    return `num_patches=${this.numPatches}, embed_dim=${this.embedDim}, decoder_embed_dim=${this.decoderEmbedDim}, out=${this.predictFeatureDim}`;
  }
}

/** `MILANPretrainDecoder` in NECKS. */
export const milanPretrainDecoderPart = definePart({
  registry: NECKS,
  name: 'MILANPretrainDecoder',
  schema: milanPretrainDecoderSchema,
  description: "MILAN's prompting decoder: mask tokens attend to the frozen visible tokens; teacher-width output",
  build: (o) => new MILANPretrainDecoder(o),
});
