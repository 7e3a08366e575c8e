/**
 * mmpretrain's `iTPNPretrainDecoder` (Tian et al. 2023, "Integrally Pre-Trained Transformer Pyramid
 * Networks", arXiv:2211.12735), pixel-target variant: a feature pyramid over the visible patches of
 * `iTPNHiViT`'s three scales, then MAE's decoder over the sum of the levels.
 *
 * Top-down: the main stage's `(N, keep, C)` tokens (as `(N, keep, 1, 1, C)`) are split into 2 × 2
 * sub-tokens (`PatchSplit`: LayerNorm, bias-free linear to 4·fpnDim) and added to the aligned stage-2
 * features `(N, keep, 2, 2, C/2)`, then `fpnDepth` MLP blocks; the same again down to the
 * `(N, keep, 4, 4, C/4)` stem features. Each level goes through one more MLP block (`fpn_modules`),
 * a LayerNorm + linear to `decoderEmbedDim / 4^level` per sub-token (so every level is
 * `decoderEmbedDim` wide per patch), gets the shared mask token at the removed positions and is
 * un-shuffled with `idsRestore`. The levels and the fixed sine-cosine table are summed and decoded by
 * transformer blocks, a LayerNorm and a linear to each patch's `p²·C` pixels.
 *
 * Input: the pyramid `[(N, keep, 4, 4, C/4), (N, keep, 2, 2, C/2), (N, keep, C)]` and `idsRestore
 * (N, L)`; output `(N, L, p²·C)`.
 *
 * CLIP target (`reconstructionType: 'clip'`): the pyramid covers all L patches (masked ones hold the
 * encoder's mask token), the levels' `decoder_embed` outputs are summed without mask tokens, position
 * table or decoder, and a LayerNorm (`norm`, eps 1e-6) gives `(N, L, decoderEmbedDim)` features for
 * `iTPNClipHead`; mmpretrain's init there is PyTorch's default with each `fpn_modules.{i}.mlp.fc2`
 * weight divided by √(2·(i+1)). Keys are mmpretrain's for the pyramid (`align_dim_16tofpn`,
 * `fpn_modules.{i}`, `align_dim_16to8`, `split_16to8`, `block_16to8`, `align_dim_8to4`, `split_8to4`,
 * `block_8to4`, `decoder_embed.{i}.{0,1}`, `mask_token`, `decoder_pos_embed`, `decoder_pred`) and
 * timm's for the decoder blocks (`decoder_blocks.{i}.norm1`, `…mlp.fc1`, `decoder_norm`), to which
 * `adaptStateDict` maps mmpretrain's (`ln1`, `ffn.layers.0.0`, `ln1`).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, posNum, z } from '../../core/schema.js';
import { HiViTBlock } from '../backbones/hivit.js';
import { Block } from '../backbones/vit.js';
import { NECKS } from '../registries.js';
import { convertMMSelfSupMAEDecoderKeys, initMAEDecoderWeights, squareGrid } from './mae-pretrain-decoder.js';

/** `iTPNPretrainDecoder` options (everything but `type`); defaults are mmpretrain's (HiViT-B input). */
export const itpnPretrainDecoderSchema = z.strictObject({
  numPatches: posInt().optional(),
  patchSize: posInt().optional(),
  inChans: posInt().optional(),
  /** The encoder's main-stage width. Default 512. */
  embedDim: posInt().optional(),
  /** Width of the pyramid. Default 256. */
  fpnDim: posInt().optional(),
  /** MLP blocks after each top-down merge. Default 2. */
  fpnDepth: posInt().optional(),
  decoderEmbedDim: posInt().optional(),
  decoderDepth: posInt().optional(),
  decoderNumHeads: posInt().optional(),
  mlpRatio: posNum().optional(),
  /** LayerNorm epsilon of the pyramid and decoder blocks (mmpretrain: 1e-6; `decoder_embed`'s norms keep 1e-5). */
  normEps: posNum().optional(),
  /** Pyramid levels fused: 2 (stages 3 and 2) or 3 (all). Default 3. */
  numOuts: z.union([z.literal(2), z.literal(3)]).optional(),
  /** mmpretrain's `reconstruction_type`: 'pixel' (MAE decoder, default) or 'clip' (summed levels + LayerNorm). */
  reconstructionType: z.enum(['pixel', 'clip']).optional(),
  /** Width of each patch's prediction; default `patchSize² · inChans`. */
  predictFeatureDim: posInt().optional(),
});

export type ITPNPretrainDecoderOptions = z.input<typeof itpnPretrainDecoderSchema>;

/** iTPN's up-sampling: `(N, L, h, w, C)` → LayerNorm → bias-free linear → `(N, L, 2h, 2w, fpnDim)`. */
export class PatchSplit extends nn.Module<[Tensor], Tensor> {
  readonly norm: nn.LayerNorm;
  readonly reduction: nn.Linear;

  constructor(
    readonly dim: number,
    readonly fpnDim: number,
    eps: number,
  ) {
    super();
    this.norm = this.registerModule('norm', new nn.LayerNorm(dim, { eps }));
    this.reduction = this.registerModule('reduction', new nn.Linear(dim, fpnDim * 4, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    const [n, l, h, w] = x.shape;
    return torch.tidy(() =>
      this.reduction
        .forward(this.norm.forward(x))
        .reshape(n, l, h, w, 2, 2, this.fpnDim)
        .permute(0, 1, 2, 4, 3, 5, 6)
        .reshape(n, l, 2 * h, 2 * w, this.fpnDim),
    );
  }
}

/** `decoder_embed.{i}`: LayerNorm (PyTorch's default eps) then a linear, keys `0.*` and `1.*`. */
class NormLinear extends nn.Module<[Tensor], Tensor> {
  readonly norm: nn.LayerNorm;
  readonly linear: nn.Linear;

  constructor(inDim: number, outDim: number) {
    super();
    this.norm = this.registerModule('0', new nn.LayerNorm(inDim));
    this.linear = this.registerModule('1', new nn.Linear(inDim, outDim));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.linear.forward(this.norm.forward(x)));
  }
}

/** A stack of MLP-only HiViT blocks (`block_16to8`, `block_8to4`). */
class MlpStack extends nn.Module<[Tensor], Tensor> {
  constructor(readonly blocks: HiViTBlock[]) {
    super();
    blocks.forEach((b, i) => {
      this.registerModule(String(i), b);
    });
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let t = x;
      for (const b of this.blocks) t = b.forward(t);
      return t;
    });
  }
}

/** iTPN's pyramid + MAE decoder: pyramid of visible patches + `idsRestore (N, L)` → `(N, L, p²·C)`. */
export class ITPNPretrainDecoder extends nn.Module<[Tensor[], Tensor], Tensor> {
  readonly numPatches: number;
  readonly gridSize: number;
  readonly patchSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly fpnDim: number;
  readonly numOuts: 2 | 3;
  readonly decoderEmbedDim: number;
  readonly predictFeatureDim: number;
  readonly reconstructionType: 'pixel' | 'clip';

  readonly alignDim16ToFpn: nn.Linear | null;
  readonly fpnModules: nn.ModuleList<HiViTBlock>;
  readonly alignDim16To8: nn.Linear;
  readonly split16To8: PatchSplit;
  readonly block16To8: MlpStack;
  readonly alignDim8To4: nn.Linear | null;
  readonly split8To4: PatchSplit | null;
  readonly block8To4: MlpStack | null;
  readonly decoderEmbed: nn.ModuleList<NormLinear>;
  // The pixel target's MAE decoder (null for the CLIP target).
  readonly maskToken: Tensor | null;
  readonly decoderPosEmbed: Tensor | null;
  readonly decoderBlocks: nn.ModuleList<Block> | null;
  readonly decoderNorm: nn.LayerNorm | null;
  readonly decoderPred: nn.Linear | null;
  /** The CLIP target's final LayerNorm (null for the pixel target). */
  readonly norm: nn.LayerNorm | null;

  constructor(o: ITPNPretrainDecoderOptions = {}) {
    super();
    this.numPatches = o.numPatches ?? 196;
    this.gridSize = squareGrid(this.numPatches, 'iTPNPretrainDecoder');
    this.patchSize = o.patchSize ?? 16;
    this.inChans = o.inChans ?? 3;
    this.embedDim = o.embedDim ?? 512;
    this.fpnDim = o.fpnDim ?? 256;
    this.numOuts = o.numOuts ?? 3;
    this.decoderEmbedDim = o.decoderEmbedDim ?? 512;
    this.reconstructionType = o.reconstructionType ?? 'pixel';
    this.predictFeatureDim =
      this.reconstructionType === 'clip'
        ? (o.decoderEmbedDim ?? 512)
        : (o.predictFeatureDim ?? this.patchSize ** 2 * this.inChans);
    const fpnDepth = o.fpnDepth ?? 2;
    const mlpRatio = o.mlpRatio ?? 4;
    const eps = o.normEps ?? 1e-6;
    const d = this.decoderEmbedDim;
    const f = this.fpnDim;
    if (this.embedDim % 4 !== 0) throw new RangeError(`iTPNPretrainDecoder: embedDim ${this.embedDim} must be divisible by 4`);
    const parts = 4 ** (this.numOuts - 1);
    if (d % parts !== 0)
      throw new RangeError(`iTPNPretrainDecoder: decoderEmbedDim ${d} must be divisible by ${parts} for ${this.numOuts} levels`);
    const mlp = () => new HiViTBlock(f, { numHeads: 0, mlpRatio, normEps: eps });

    this.alignDim16ToFpn = this.embedDim !== f ? this.registerModule('align_dim_16tofpn', new nn.Linear(this.embedDim, f)) : null;
    const fpn = [mlp(), mlp()];
    this.alignDim16To8 = this.registerModule('align_dim_16to8', new nn.Linear(this.embedDim / 2, f, { bias: false }));
    this.split16To8 = this.registerModule('split_16to8', new PatchSplit(this.embedDim, f, eps));
    this.block16To8 = this.registerModule('block_16to8', new MlpStack(Array.from({ length: fpnDepth }, mlp)));
    if (this.numOuts === 3) {
      this.alignDim8To4 = this.registerModule('align_dim_8to4', new nn.Linear(this.embedDim / 4, f, { bias: false }));
      this.split8To4 = this.registerModule('split_8to4', new PatchSplit(f, f, eps));
      this.block8To4 = this.registerModule('block_8to4', new MlpStack(Array.from({ length: fpnDepth }, mlp)));
      fpn.push(mlp());
    } else {
      this.alignDim8To4 = null;
      this.split8To4 = null;
      this.block8To4 = null;
    }
    this.fpnModules = this.registerModule('fpn_modules', new nn.ModuleList(fpn));
    const embeds: NormLinear[] = [];
    for (let i = 0; i < this.numOuts; i++) embeds.push(new NormLinear(f, d / 4 ** i));
    this.decoderEmbed = this.registerModule('decoder_embed', new nn.ModuleList(embeds));
    if (this.reconstructionType === 'clip') {
      // mmpretrain builds this norm over embed_dim and applies it to decoder_embed_dim-wide features.
      if (d !== this.embedDim)
        throw new RangeError(
          `iTPNPretrainDecoder: the CLIP target needs decoderEmbedDim ${d} equal to embedDim ${this.embedDim}`,
        );
      if (o.predictFeatureDim !== undefined)
        throw new RangeError('iTPNPretrainDecoder: predictFeatureDim is for the pixel target (the CLIP head maps the features)');
      this.norm = this.registerModule('norm', new nn.LayerNorm(this.embedDim, { eps }));
      this.maskToken = null;
      this.decoderPosEmbed = null;
      this.decoderBlocks = null;
      this.decoderNorm = null;
      this.decoderPred = null;
    } else {
      this.norm = null;
      this.maskToken = this.registerParameter('mask_token', torch.zeros([1, 1, d]));
      // No class token here, and the table is fixed.
      this.decoderPosEmbed = this.registerParameter('decoder_pos_embed', torch.zeros([1, this.numPatches, d]), false);
      const blocks: Block[] = [];
      for (let i = 0; i < (o.decoderDepth ?? 6); i++)
        blocks.push(new Block(d, o.decoderNumHeads ?? 16, { mlpRatio, qkvBias: true, normEps: eps }));
      this.decoderBlocks = this.registerModule('decoder_blocks', new nn.ModuleList(blocks));
      this.decoderNorm = this.registerModule('decoder_norm', new nn.LayerNorm(d, { eps }));
      this.decoderPred = this.registerModule('decoder_pred', new nn.Linear(d, this.predictFeatureDim));
    }
    this.initWeights();
  }

  /**
   * mmpretrain's: Xavier-uniform linears with zero biases and LayerNorms 1/0 (the model's `init_cfg`),
   * the mask token N(0, 0.02), the sine-cosine table of `build_2d_sincos_position_embedding`.
   */
  initWeights(): void {
    if (!this.maskToken || !this.decoderPosEmbed) {
      torch.noGrad(() => {
        for (const [i, blk] of [...this.fpnModules].entries()) blk.mlp.fc2.weight.div_(Math.sqrt(2 * (i + 1)));
      });
      return;
    }
    initMAEDecoderWeights(this, {
      posEmbed: this.decoderPosEmbed,
      maskToken: this.maskToken,
      grid: this.gridSize,
      prefix: 0,
      layout: 'mocov3',
    });
  }

  /** Pyramid `[(N, keep, 4, 4, C/4), (N, keep, 2, 2, C/2), (N, keep, C)]` + `idsRestore (N, L)` → `(N, L, p²·C)`. */
  forward(pyramid: Tensor[], idsRestore?: Tensor): Tensor {
    const top = pyramid[pyramid.length - 1];
    const [n, keep, c] = top?.shape ?? [];
    const l = this.numPatches;
    const want = [
      `(N, keep, 4, 4, ${this.embedDim / 4})`,
      `(N, keep, 2, 2, ${this.embedDim / 2})`,
      `(N, keep, ${this.embedDim})`,
    ];
    const fits =
      pyramid.length === 3 &&
      top.dim() === 3 &&
      c === this.embedDim &&
      pyramid[1].dim() === 5 &&
      pyramid[1].shape.join() === [n, keep, 2, 2, c / 2].join() &&
      pyramid[0].dim() === 5 &&
      pyramid[0].shape.join() === [n, keep, 4, 4, c / 4].join();
    if (!fits)
      throw new RangeError(
        `iTPNPretrainDecoder: expected the pyramid [${want.join(', ')}], got [${pyramid.map((t) => `[${t.shape}]`).join(', ')}]`,
      );
    const clip = this.reconstructionType === 'clip';
    if (clip && keep !== l)
      throw new RangeError(`iTPNPretrainDecoder: the CLIP target's pyramid covers all ${l} patches, got ${keep}`);
    if (!clip && (idsRestore?.dim() !== 2 || idsRestore.shape[0] !== n || idsRestore.shape[1] !== l || keep > l))
      throw new RangeError(`iTPNPretrainDecoder: ids_restore [${idsRestore?.shape}] does not fit ${n} images of ${l} patches`);
    return torch.tidy(() => {
      const x16 = top.reshape(n, keep, 1, 1, c);
      const levels = [this.alignDim16ToFpn ? this.alignDim16ToFpn.forward(x16) : x16];
      let x = this.block16To8.forward(this.split16To8.forward(x16).add(this.alignDim16To8.forward(pyramid[1])));
      levels.push(x);
      if (this.split8To4 && this.alignDim8To4 && this.block8To4) {
        x = this.block8To4.forward(this.split8To4.forward(x).add(this.alignDim8To4.forward(pyramid[0])));
        levels.push(x);
      }
      const d = this.decoderEmbedDim;
      const embedded = levels.map((level, i) =>
        this.decoderEmbed.at(i).forward(this.fpnModules.at(i).forward(level)).reshape(n, keep, d),
      );
      if (this.norm) return this.norm.forward(embedded.reduce((a, b) => a.add(b)));
      const { maskToken, decoderPosEmbed, decoderBlocks, decoderNorm, decoderPred } = this;
      if (!maskToken || !decoderPosEmbed || !decoderBlocks || !decoderNorm || !decoderPred || !idsRestore)
        throw new TypeError('iTPNPretrainDecoder: the pixel decoder is missing');
      const fill = maskToken.expand(n, l - keep, d);
      const index = idsRestore.unsqueeze(-1).expand(n, l, d);
      let h = decoderPosEmbed;
      for (const tokens of embedded) h = h.add(torch.cat([tokens, fill], 1).gather(1, index));
      for (const b of decoderBlocks) h = b.forward(h);
      return decoderPred.forward(decoderNorm.forward(h));
    });
  }

  /** mmpretrain's decoder-block names (`decoder_blocks.0.ln1`, `…ffn.layers.0.0`, `ln1` for the final norm) → ours. */
  adaptStateDict<T>(sd: Record<string, T>): Record<string, T> {
    return convertMMSelfSupMAEDecoderKeys(sd);
  }

  override extraRepr(): string {
    return `num_patches=${this.numPatches}, embed_dim=${this.embedDim}, fpn_dim=${this.fpnDim}, num_outs=${this.numOuts}, decoder_embed_dim=${this.decoderEmbedDim}, out=${this.predictFeatureDim}`;
  }
}

/** `iTPNPretrainDecoder` in NECKS. */
export const itpnPretrainDecoderPart = definePart({
  registry: NECKS,
  name: 'iTPNPretrainDecoder',
  schema: itpnPretrainDecoderSchema,
  description: "iTPN's neck: a feature pyramid over HiViT's three scales fused into MAE's decoder",
  build: (o) => new ITPNPretrainDecoder(o),
});
