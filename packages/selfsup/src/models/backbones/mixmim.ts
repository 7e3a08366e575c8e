/**
 * MixMIM's encoder (Liu et al. 2022, "MixMIM: Mixed and Masked Image Modeling for Efficient Visual
 * Representation Learning", arXiv:2205.13137) as MMSelfSup's `MixMIMTransformerPretrain` over
 * mmcls's `MixMIMTransformer`: a hierarchical transformer (4-px patches, LayerNorm'd patch embedding,
 * fixed 2-D sine-cosine absolute positions, stages of non-shifted window attention with a relative
 * position bias, mmcv patch merging between stages, a final LayerNorm).
 *
 * Pretraining (`forwardMixed`): one random mask `(1, L)` over the final `(H/s)·(W/s)` grid
 * (s = `encoderStride`, 32 for 4 stages of 4-px patches), shared by the batch, selects ⌊L·ratio⌋
 * cells; at the patch grid each selected cell's tokens of image i are replaced by those of image
 * N−1−i (the batch reversed), and every window attention is masked (−1e30) between tokens of
 * different source images, at each stage's resolution (the mask upsampled by nearest neighbour).
 * Output: tokens `(N, L, C_last)` after the final norm, and the mask `(1, L)` (1 = from the other image).
 * `forward` (evaluation) is mmcls's: unmixed, no attention mask, the final tokens averaged → `[(N, C_last)]`.
 *
 * Keys are mmcls's: `patch_embed.projection.*`, `patch_embed.norm.*`, `absolute_pos_embed`,
 * `layers.0.blocks.0.ln1.*`, `…attn.qkv.*`, `…attn.proj.*`, `…attn.relative_position_bias_table`,
 * `…attn.relative_position_index`, `…ln2.*`, `…ffn.layers.0.0.*`, `…ffn.layers.1.*`,
 * `layers.0.downsample.norm.*`, `layers.0.downsample.reduction.weight`, `norm.*`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape } from './base.js';
import { PatchEmbed } from './patch-embed.js';
import { sincos2dPosEmbed } from './pos-embed.js';
import { FFN, PatchMerging, WindowMSA, windowPartition, windowReverse } from './swin.js';

const { init } = nn;

/**
 * The additive attention mask of a `(1, H·W)` source mask (1 = from the other image): `(nW, ws², ws²)`,
 * 0 between tokens of the same source, a large negative number between different ones.
 */
function mixingAttnMask(mask: Tensor, hw: [number, number], ws: number, dtype: torch.DType): Tensor {
  return torch.tidy(() => {
    const m = windowPartition(mask.reshape(1, hw[0], hw[1], 1).to(dtype), ws).squeeze(-1); // (nW, N)
    const a = m.unsqueeze(2);
    const b = m.unsqueeze(1);
    // 1 − [m_i m_j + (1 − m_i)(1 − m_j)]: 1 exactly when i and j come from different images.
    const different = a
      .mul(b)
      .add(a.rsub(1).mul(b.rsub(1)))
      .rsub(1);
    const big = dtype === 'float16' ? 65500 : 1e30;
    return different.mul({ float: -big });
  });
}

/** One MixMIM block: x + attn(ln1(x)) over non-shifted windows, then x + ffn(ln2(x)) (mmcls's `MixMIMBlock`). */
export class MixMIMBlock extends nn.Module<[Tensor, Tensor | null], Tensor> {
  readonly ln1: nn.LayerNorm;
  readonly attn: WindowMSA;
  readonly ln2: nn.LayerNorm;
  readonly ffn: FFN;
  readonly dropPath: nn.DropPath;
  /** The window side: the configured one, or the map's smaller side when the map is no larger. */
  readonly windowSize: number;

  constructor(
    readonly embedDim: number,
    readonly resolution: [number, number],
    numHeads: number,
    o: { windowSize: number; mlpRatio?: number; qkvBias?: boolean; drop?: number; attnDrop?: number; dropPath?: number },
  ) {
    super();
    const [h, w] = resolution;
    this.windowSize = Math.min(h, w, o.windowSize);
    if (h % this.windowSize !== 0 || w % this.windowSize !== 0)
      throw new RangeError(`MixMIMTransformer: a ${h}×${w} map is not a whole number of ${this.windowSize}-token windows`);
    this.ln1 = this.registerModule('ln1', new nn.LayerNorm(embedDim));
    this.attn = this.registerModule(
      'attn',
      new WindowMSA(embedDim, this.windowSize, numHeads, { qkvBias: o.qkvBias, attnDrop: o.attnDrop, projDrop: o.drop }),
    );
    this.ln2 = this.registerModule('ln2', new nn.LayerNorm(embedDim));
    this.ffn = this.registerModule(
      'ffn',
      new FFN(embedDim, Math.floor(embedDim * (o.mlpRatio ?? 4)), { drop: o.drop, dropPath: o.dropPath }),
    );
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(o.dropPath ?? 0));
  }

  /** `x (B, H·W, C)`; `attnMask (nW, ws², ws²)` additive, or null. */
  forward(x: Tensor, attnMask: Tensor | null): Tensor {
    return torch.tidy(() => {
      const [b, , c] = x.shape;
      const [h, w] = this.resolution;
      const ws = this.windowSize;
      const windows = windowPartition(this.ln1.forward(x).view(b, h, w, c), ws);
      const attended = windowReverse(this.attn.forward(windows, attnMask), b, h, w, ws).reshape(b, h * w, c);
      const y = x.add(this.dropPath.forward(attended));
      return this.ffn.forward(this.ln2.forward(y), y);
    });
  }
}

/** One stage: `blocks`, then an optional mmcv `PatchMerging` (`downsample`) to half the map and twice the width. */
export class MixMIMLayer extends nn.Module<[Tensor, Tensor | null], Tensor> {
  readonly blocks: nn.ModuleList<MixMIMBlock>;
  readonly downsample: PatchMerging | null;

  constructor(
    readonly embedDim: number,
    readonly resolution: [number, number],
    depth: number,
    numHeads: number,
    o: {
      windowSize: number;
      dropPaths: number[];
      downsample: boolean;
      mlpRatio?: number;
      qkvBias?: boolean;
      drop?: number;
      attnDrop?: number;
    },
  ) {
    super();
    const blocks: MixMIMBlock[] = [];
    for (let i = 0; i < depth; i++)
      blocks.push(new MixMIMBlock(embedDim, resolution, numHeads, { ...o, dropPath: o.dropPaths[i] }));
    this.blocks = this.registerModule('blocks', new nn.ModuleList(blocks));
    this.downsample = o.downsample ? this.registerModule('downsample', new PatchMerging(embedDim, 2 * embedDim)) : null;
  }

  /** `x (B, H·W, C)` and this stage's source mask `(1, H·W)` (or null) → the stage output. */
  forward(x: Tensor, sourceMask: Tensor | null): Tensor {
    return torch.tidy(() => {
      const ws = this.blocks.at(0).windowSize;
      const attnMask = sourceMask ? mixingAttnMask(sourceMask, this.resolution, ws, x.dtype) : null;
      let t = x;
      for (const b of this.blocks) t = b.forward(t, attnMask);
      return this.downsample ? this.downsample.forward(t, this.resolution).tokens : t;
    });
  }
}

/** MixMIM's sizes (mmcls's `arch_zoo`). */
export const MIXMIM_ARCHS = {
  base: { embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32] },
  large: { embedDim: 192, depths: [2, 2, 18, 2], numHeads: [6, 12, 24, 48] },
  huge: { embedDim: 352, depths: [2, 2, 18, 2], numHeads: [11, 22, 44, 88] },
} as const;

/** `MixMIMTransformerPretrain` options (everything but `type`); defaults are MMSelfSup's. */
export const mixmimSchema = z.strictObject({
  ...backboneShape,
  /** Default 'base' (MMSelfSup's 'B'); `embedDim`/`depths`/`numHeads` override it. */
  arch: z.enum(['base', 'large', 'huge']).optional(),
  embedDim: posInt().optional(),
  depths: z.array(posInt()).min(1).optional(),
  numHeads: z.array(posInt()).min(1).optional(),
  mlpRatio: posNum().optional(),
  /** Default 224; the position table and the window grid are made for it. */
  imgSize: posInt().optional(),
  /** Default 4. */
  patchSize: posInt().optional(),
  inChannels: posInt().optional(),
  /** One window side per stage (clamped to the map when the map is smaller). Default [14, 14, 14, 7]. */
  windowSize: z.array(posInt()).min(1).optional(),
  qkvBias: bool().optional(),
  dropRate: prob().optional(),
  attnDropRate: prob().optional(),
  /** Stochastic depth, rising linearly over all blocks to this rate. Default 0. */
  dropPathRate: prob().optional(),
  /** Fraction of the final grid's cells taken from the other image. Default 0.5. */
  maskRatio: prob().optional(),
  /** A uniform draw from [0, rangeMaskRatio) is added to the mask ratio at each step. Default 0. */
  rangeMaskRatio: nonNegNum().optional(),
});
export type MixMIMOptions = z.input<typeof mixmimSchema>;

/** What `forwardMixed` returns. */
export interface MixedOutput {
  /** `(N, L, C_last)` final tokens after the final norm, L = (H/s)·(W/s). */
  latent: Tensor;
  /** `(1, L)` float: 1 where the token holds the other image (N−1−i), 0 where it holds image i. */
  mask: Tensor;
}

/** MixMIM's hierarchical window-attention encoder with batch mixing (`forwardMixed`) for pretraining. */
export class MixMIMTransformer extends Backbone {
  readonly embedDim: number;
  readonly depths: number[];
  readonly numHeads: number[];
  readonly stageChannels: number[];
  readonly numFeatures: number;
  readonly maskRatio: number;
  readonly rangeMaskRatio: number;
  /** Stages 0..frozenStages−1 and the patch embedding frozen (all of them: the final norm too); −1 none. */
  readonly frozenStages: number;
  readonly normEval: boolean;
  /** Total downsampling of the last stage: patch size × 2^(stages − 1) (32 for MixMIM-B). */
  readonly encoderStride: number;
  /** The patch grid of `imgSize`. */
  readonly patchResolution: [number, number];

  readonly patchEmbed: PatchEmbed;
  readonly absolutePosEmbed: Tensor;
  readonly dropAfterPos: nn.Dropout;
  readonly layers: nn.ModuleList<MixMIMLayer>;
  readonly norm: nn.LayerNorm;

  constructor(readonly o: MixMIMOptions = {}) {
    super();
    const arch = MIXMIM_ARCHS[o.arch ?? 'base'];
    this.embedDim = o.embedDim ?? arch.embedDim;
    this.depths = [...(o.depths ?? arch.depths)];
    this.numHeads = [...(o.numHeads ?? arch.numHeads)];
    const stages = this.depths.length;
    const windows = o.windowSize ?? [14, 14, 14, 7];
    if (this.numHeads.length !== stages || windows.length !== stages)
      throw new RangeError(
        `MixMIMTransformer: ${stages} depths, ${this.numHeads.length} head counts and ${windows.length} window sizes must agree`,
      );
    if ((o.outIndices ?? [stages - 1]).some((i) => i !== -1 && i !== stages - 1))
      throw new RangeError('MixMIMTransformer: outIndices can only name the last stage (mmcls returns its pooled output)');
    this.frozenStages = o.frozenStages ?? -1;
    this.normEval = o.normEval ?? false;
    if (this.frozenStages > stages)
      throw new RangeError(`MixMIMTransformer: frozenStages ${this.frozenStages} exceeds the ${stages} stages`);
    this.stageChannels = this.depths.map((_, i) => this.embedDim * 2 ** i);
    this.numFeatures = this.stageChannels[stages - 1];
    this.maskRatio = o.maskRatio ?? 0.5;
    this.rangeMaskRatio = o.rangeMaskRatio ?? 0;
    const patch = o.patchSize ?? 4;
    const img = o.imgSize ?? 224;
    this.encoderStride = patch * 2 ** (stages - 1);
    if (img % this.encoderStride !== 0)
      throw new RangeError(`MixMIMTransformer: imgSize ${img} must be a multiple of the encoder stride ${this.encoderStride}`);

    this.patchEmbed = this.registerModule(
      'patch_embed',
      new PatchEmbed(img, patch, this.embedDim, { inChannels: o.inChannels ?? 3, projName: 'projection', norm: { eps: 1e-5 } }),
    );
    this.patchResolution = this.patchEmbed.gridSize;
    const [gh, gw] = this.patchResolution;
    // Fixed sine-cosine positions: MMSelfSup keeps them out of training.
    this.absolutePosEmbed = this.registerParameter('absolute_pos_embed', torch.zeros([1, gh * gw, this.embedDim]), false);
    this.dropAfterPos = this.registerModule('drop_after_pos', new nn.Dropout(o.dropRate ?? 0));
    const total = this.depths.reduce((a, b) => a + b, 0);
    const rate = o.dropPathRate ?? 0;
    const dpr = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
    const layers: MixMIMLayer[] = [];
    let offset = 0;
    for (let i = 0; i < stages; i++) {
      layers.push(
        new MixMIMLayer(this.stageChannels[i], [gh / 2 ** i, gw / 2 ** i], this.depths[i], this.numHeads[i], {
          windowSize: windows[i],
          dropPaths: dpr.slice(offset, offset + this.depths[i]),
          downsample: i < stages - 1,
          mlpRatio: o.mlpRatio,
          qkvBias: o.qkvBias,
          drop: o.dropRate,
          attnDrop: o.attnDropRate,
        }),
      );
      offset += this.depths[i];
    }
    this.layers = this.registerModule('layers', new nn.ModuleList(layers));
    this.norm = this.registerModule('norm', new nn.LayerNorm(this.numFeatures));
    this.initWeights();
    this.applyFreezing();
  }

  /**
   * MMSelfSup's pretraining initialisation: sine-cosine positions, trunc-normal(0.02) relative
   * position bias tables, Xavier-uniform linears with zero bias, LayerNorm 1/0; the patch
   * convolution keeps PyTorch's default.
   */
  initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        this.absolutePosEmbed.copy_(sincos2dPosEmbed(this.embedDim, this.patchResolution, { numPrefixTokens: 0 }));
        for (const m of this.modules()) {
          if (m instanceof nn.Linear) {
            init.xavierUniform_(m.weight);
            m.bias?.zero_();
          } else if (m instanceof nn.LayerNorm) {
            m.weight?.fill_(1);
            m.bias?.zero_();
          } else if (m instanceof WindowMSA) {
            init.truncNormal_(m.relativePositionBiasTable, { std: 0.02 });
          }
        }
      }),
    );
  }

  /**
   * mmpretrain's `MixMIMTransformer` has no `frozen_stages`; this is its `SwinTransformer`'s rule on
   * MixMIM's layout: the patch embedding (with its norm) and the first `frozenStages` layers, each
   * with the patch merging that ends it, go to eval mode with no gradient; freezing every stage also
   * freezes the final norm, the one norm on the (last) output. `normEval` keeps every LayerNorm in eval.
   */
  protected applyFreezing(): void {
    const k = this.frozenStages;
    if (k >= 0) {
      this.patchEmbed.eval().requiresGrad_(false);
      this.dropAfterPos.eval();
      for (let i = 0; i < k; i++) this.layers.at(i).eval().requiresGrad_(false);
      if (k === this.depths.length) this.norm.eval().requiresGrad_(false);
    }
    if (this.normEval && this.training) for (const m of this.modules()) if (m instanceof nn.LayerNorm) m.eval();
  }

  private embed(x: Tensor): Tensor {
    const [, , h, w] = x.shape;
    if (
      h !== this.patchResolution[0] * this.patchEmbed.patchSize[0] ||
      w !== this.patchResolution[1] * this.patchEmbed.patchSize[1]
    )
      throw new RangeError(
        `MixMIMTransformer: expected ${this.patchResolution[0] * this.patchEmbed.patchSize[0]}×${this.patchResolution[1] * this.patchEmbed.patchSize[1]} images (imgSize), got [${x.shape}]`,
      );
    return this.patchEmbed.forward(x).tokens;
  }

  /** Final tokens `(N, L, C_last)` after the final norm, unmixed and unmasked. */
  forwardFeatures(x: Tensor): Tensor {
    return torch.tidy(() => {
      let t = this.dropAfterPos.forward(this.embed(x).add(this.absolutePosEmbed));
      for (const layer of this.layers) t = layer.forward(t, null);
      return this.norm.forward(t);
    });
  }

  /** mmcls's output: the final tokens averaged, `[(N, C_last)]`. */
  override forward(x: Tensor): Tensor[] {
    return torch.tidy(() => [this.forwardFeatures(x).mean(1)]);
  }

  /**
   * The `(1, L)` mixing mask of one step over the final grid: the ⌊L·r⌋ cells of smallest noise
   * from `rand(1, L)` (the default generator) are 1, r = `maskRatio` (+ U[0, rangeMaskRatio)).
   */
  randomMask(grid: [number, number], device?: string): Tensor {
    return torch.tidy(() => {
      const l = grid[0] * grid[1];
      // The extra ratio is drawn from the default generator too, so that a seed fixes the step.
      const ratio = this.maskRatio + (this.rangeMaskRatio > 0 ? torch.rand([1]).item() * this.rangeMaskRatio : 0);
      const k = Math.floor(l * ratio + 1e-9);
      const noise = torch.rand([1, l], { device });
      const mask = torch.zeros([1, l], { device });
      if (k > 0) mask.scatter_(1, noise.argsort({ dim: 1 }).slice(1, 0, k), 1);
      return mask;
    });
  }

  /** The `(1, h·s, w·s)`-cell mask of a `(1, h·w)` one: each cell repeated s×s (nearest upsampling). */
  private upsample(mask: Tensor, grid: [number, number], s: number): Tensor {
    const [h, w] = grid;
    return mask
      .reshape(1, h, 1, w, 1)
      .expand(1, h, s, w, s)
      .reshape(1, h * s * w * s);
  }

  /** MixMIM's pretraining forward on preprocessed images `(N, C, H, W)`: mixed tokens → `{ latent, mask }`. */
  forwardMixed(x: Tensor): MixedOutput {
    return torch.tidy(() => {
      const t0 = this.embed(x);
      const stages = this.layers.length;
      const [gh, gw] = this.patchResolution;
      const s = 2 ** (stages - 1);
      const grid: [number, number] = [gh / s, gw / s];
      const mask = this.randomMask(grid, x.device);
      const m1 = this.upsample(mask, grid, s).unsqueeze(-1).to(t0.dtype);
      // Image i takes the masked cells' tokens from image N−1−i.
      let t = t0.mul(m1.rsub(1)).add(t0.flip([0]).mul(m1));
      t = this.dropAfterPos.forward(t.add(this.absolutePosEmbed));
      for (let i = 0; i < stages; i++) {
        const stageMask = i === stages - 1 ? mask : this.upsample(mask, grid, 2 ** (stages - 1 - i));
        t = this.layers.at(i).forward(t, stageMask);
      }
      return { latent: this.norm.forward(t), mask };
    });
  }
}

/** `MixMIMTransformerPretrain`: MixMIM's encoder (any size) with MMSelfSup's pretraining init and mixing. */
export const mixmimTransformerPart = definePart({
  registry: BACKBONES,
  name: 'MixMIMTransformerPretrain',
  schema: mixmimSchema,
  description: "MixMIM's hierarchical window-attention encoder; its pretraining forward mixes two images per input",
  build: (o) => new MixMIMTransformer(o),
});
