/**
 * HiViT, "HiViT: A Simpler and More Efficient Design of Hierarchical Vision Transformer" (Zhang et
 * al. 2023, arXiv:2205.14949), as mmpretrain's `HiViT`: a Swin-like three-stage pyramid whose first
 * two stages are MLP-only (no attention, so no windows and no token mixing) and whose last stage is a
 * plain global-attention ViT. Because the early stages never mix tokens, every 16-px patch can be
 * processed on its own: the stem works on `(N, L, 4, 4, C/4)` "inner patches" of each patch, two
 * `PatchMerge`s fold them to `(N, L, 1, 1, C)`, and MAE-style token dropping (`iTPNHiViT`) works as it
 * does for a ViT.
 *
 * Shapes: images `(N, 3, H, W)`, `L = (H/p)·(W/p)` patches; `forward` returns the `outIndices` main
 * blocks' outputs as `(N, C, H/p, W/p)` maps. State-dict keys are mmpretrain's (`patch_embed.proj.*`,
 * `patch_embed.norm.*`, `pos_embed`, one flat `blocks.{i}` list holding the stem blocks, the merges
 * (`blocks.{i}.norm`, `blocks.{i}.reduction`) and the main blocks (`norm1`, `attn.qkv`, `attn.proj`,
 * `attn.relative_position_bias_table`, `norm2`, `mlp.fc1`, `mlp.fc2`, `gamma_1`, `gamma_2`), and the
 * `relative_position_index` buffers with `rpe`), so mmpretrain checkpoints load as they are.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';
import { resizePosEmbed } from './pos-embed.js';
import { gridRelativePositionIndex } from './relative-position.js';
import { Attention, Mlp } from './vit.js';

const { F } = torch;
const { init } = nn;

/** Global multi-head attention over `(N, L, C)` with an optional learned relative position bias (HiViT's `rpe`). */
export class HiViTAttention extends Attention {
  readonly relativePositionBiasTable: Tensor | null;
  readonly relativePositionIndex: Tensor | null;

  constructor(
    dim: number,
    numHeads: number,
    gridSide: number,
    o: { qkvBias?: boolean; attnDrop?: number; projDrop?: number; rpe?: boolean },
  ) {
    super(dim, numHeads, o);
    const rpe = o.rpe ?? false;
    this.relativePositionBiasTable = this.registerParameter(
      'relative_position_bias_table',
      rpe ? torch.zeros([(2 * gridSide - 1) ** 2, numHeads]) : null,
    );
    this.relativePositionIndex = this.registerBuffer('relative_position_index', rpe ? gridRelativePositionIndex(gridSide) : null);
  }

  /** The relative position bias `(1, H, L, L)` of the full grid (L its size), or null without `rpe`. */
  relativeBias(): Tensor | null {
    const table = this.relativePositionBiasTable;
    const index = this.relativePositionIndex;
    if (!table || !index) return null;
    const l = index.shape[0];
    return torch.tidy(() => table.index(index.view(-1)).view(1, l, l, this.numHeads).permute(0, 3, 1, 2));
  }

  /** `x (N, L, C)`; with `useRpe` the bias of the full grid is added (so L must be the grid's size). */
  override forward(x: Tensor, useRpe = false): Tensor {
    if (!useRpe || !this.relativePositionBiasTable || !this.relativePositionIndex) return super.forward(x);
    return torch.tidy(() => {
      const [n, l, c] = x.shape;
      const s = this.relativePositionIndex?.shape[0] ?? 0;
      if (l !== s) throw new RangeError(`HiViT: the relative position bias is made for ${s} tokens, got ${l}`);
      const bias = (this.relativeBias() as Tensor).to(x.dtype);
      const [q, k, v] = this.qkv.forward(x).reshape(n, l, 3, this.numHeads, this.headDim).permute(2, 0, 3, 1, 4).unbind(0);
      const o = F.scaledDotProductAttention(q, k, v, { attnMask: bias, dropoutP: this.training ? this.attnDrop : 0 });
      return this.projDrop.forward(this.proj.forward(o.transpose(1, 2).reshape(n, l, c)));
    });
  }
}

export interface HiViTBlockOptions {
  /** 0 for an MLP-only block (the stem stages, iTPN's pyramid blocks). */
  numHeads?: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  drop?: number;
  attnDrop?: number;
  dropPath?: number;
  rpe?: boolean;
  /** The patch grid side (for the relative position table). */
  gridSide?: number;
  /** Layer scale `gamma_1`/`gamma_2` initial value; 0 for none (mmpretrain's default). */
  layerScaleInit?: number;
  normEps?: number;
}

/**
 * mmpretrain's `BlockWithRPE`: x + γ₁·attn(norm1(x)) (only when `numHeads > 0`), then
 * x + γ₂·mlp(norm2(x)); works on any leading shape `(…, C)` when MLP-only.
 */
export class HiViTBlock extends nn.Module {
  readonly norm1: nn.LayerNorm | null;
  readonly attn: HiViTAttention | null;
  readonly dropPath: nn.DropPath;
  readonly norm2: nn.LayerNorm;
  readonly mlp: Mlp;
  readonly gamma1: Tensor | null;
  readonly gamma2: Tensor | null;

  constructor(
    readonly dim: number,
    o: HiViTBlockOptions = {},
  ) {
    super();
    const eps = o.normEps ?? 1e-5;
    const heads = o.numHeads ?? 0;
    const ls = o.layerScaleInit ?? 0;
    this.norm1 = heads > 0 ? this.registerModule('norm1', new nn.LayerNorm(dim, { eps })) : null;
    this.attn =
      heads > 0
        ? this.registerModule(
            'attn',
            new HiViTAttention(dim, heads, o.gridSide ?? 1, {
              qkvBias: o.qkvBias ?? true,
              attnDrop: o.attnDrop,
              projDrop: o.drop,
              rpe: o.rpe,
            }),
          )
        : null;
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(o.dropPath ?? 0));
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(dim, { eps }));
    this.mlp = this.registerModule('mlp', new Mlp(dim, Math.floor(dim * (o.mlpRatio ?? 4)), o.drop ?? 0));
    this.gamma1 = this.registerParameter('gamma_1', ls > 0 && heads > 0 ? torch.ones([dim]).mul_({ float: ls }) : null);
    this.gamma2 = this.registerParameter('gamma_2', ls > 0 ? torch.ones([dim]).mul_({ float: ls }) : null);
  }

  forward(x: Tensor, useRpe = false): Tensor {
    return torch.tidy(() => {
      let y = x;
      if (this.attn && this.norm1) {
        let a = this.attn.forward(this.norm1.forward(y), useRpe);
        if (this.gamma1) a = a.mul(this.gamma1);
        y = y.add(this.dropPath.forward(a));
      }
      let m = this.mlp.forward(this.norm2.forward(y));
      if (this.gamma2) m = m.mul(this.gamma2);
      return y.add(this.dropPath.forward(m));
    });
  }
}

/**
 * HiViT's patch embedding: a `p/k`-stride convolution, then each `p × p` patch's `k × k` inner
 * patches grouped: `(N, 3, H, W)` → `(N, L, k, k, C)`, patches row-major, optionally LayerNorm-ed.
 */
export class HiViTPatchEmbed extends nn.Module<[Tensor], Tensor> {
  readonly proj: nn.Conv2d;
  readonly norm: nn.LayerNorm | null;

  constructor(
    readonly patchSize: number,
    readonly innerPatches: number,
    inChannels: number,
    readonly embedDim: number,
    o: { norm: boolean; normEps: number },
  ) {
    super();
    const stride = patchSize / innerPatches;
    this.proj = this.registerModule('proj', new nn.Conv2d(inChannels, embedDim, stride, { stride }));
    this.norm = o.norm ? this.registerModule('norm', new nn.LayerNorm(embedDim, { eps: o.normEps })) : null;
  }

  forward(x: Tensor): Tensor {
    const [n, , h, w] = x.shape;
    const p = this.patchSize;
    if (x.dim() !== 4 || h % p !== 0 || w % p !== 0)
      throw new RangeError(`HiViT: expected images (N, C, H, W) with H and W multiples of ${p}, got [${x.shape}]`);
    return torch.tidy(() => {
      const k = this.innerPatches;
      const gh = h / p;
      const gw = w / p;
      const t = this.proj
        .forward(x)
        .view(n, -1, gh, k, gw, k)
        .permute(0, 2, 4, 3, 5, 1)
        .reshape(n, gh * gw, k, k, -1);
      return this.norm ? this.norm.forward(t) : t;
    });
  }
}

/**
 * HiViT's `PatchMerge` inside each patch: `(N, L, h, w, C)` → `(N, L, h/2, w/2, 2C)`; the four
 * neighbours of each 2 × 2 group are concatenated in mmpretrain's order (0,0), (1,0), (0,1), (1,1)
 * (row, column), LayerNorm-ed and reduced by a bias-free linear.
 */
export class PatchMerge extends nn.Module<[Tensor], Tensor> {
  readonly norm: nn.LayerNorm;
  readonly reduction: nn.Linear;

  constructor(
    readonly dim: number,
    normEps: number,
  ) {
    super();
    this.norm = this.registerModule('norm', new nn.LayerNorm(dim * 4, { eps: normEps }));
    this.reduction = this.registerModule('reduction', new nn.Linear(dim * 4, dim * 2, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    const [n, l, h, w, c] = x.shape;
    if (x.dim() !== 5 || h % 2 !== 0 || w % 2 !== 0 || c !== this.dim)
      throw new RangeError(`PatchMerge: expected (N, L, h, w, ${this.dim}) with even h, w, got [${x.shape}]`);
    return torch.tidy(() => {
      // (…, h/2, row, w/2, col, C) → (…, h/2, w/2, col, row, C): column-major neighbours, as x0‖x1‖x2‖x3.
      const t = x
        .reshape(n, l, h / 2, 2, w / 2, 2, c)
        .permute(0, 1, 2, 4, 5, 3, 6)
        .reshape(n, l, h / 2, w / 2, 4 * c);
      return this.reduction.forward(this.norm.forward(t));
    });
  }
}

export type HiViTArch = 'tiny' | 'small' | 'base' | 'large';

/** mmpretrain's `HiViT.arch_zoo`: main-stage width, blocks per stage, heads. */
export const HIVIT_ARCHS: Record<HiViTArch, { embedDims: number; depths: [number, number, number]; numHeads: number }> = {
  tiny: { embedDims: 384, depths: [1, 1, 10], numHeads: 6 },
  small: { embedDims: 384, depths: [2, 2, 20], numHeads: 6 },
  base: { embedDims: 512, depths: [2, 2, 24], numHeads: 8 },
  large: { embedDims: 768, depths: [2, 2, 40], numHeads: 12 },
};

/** `HiViT` options (everything but `type`); defaults are mmpretrain's. */
export const hivitSchema = z.strictObject({
  ...backboneShape,
  /** A named size; `embedDims`/`depths`/`numHeads` override it. Default 'base'. */
  arch: z.enum(['tiny', 'small', 'base', 'large']).optional(),
  /** Width of the main (attention) stage; the stem stages have a quarter and a half of it. */
  embedDims: posInt().optional(),
  /** Blocks per stage (three stages; each stem "block" is two MLP blocks, as mmpretrain builds them). */
  depths: z.tuple([posInt(), posInt(), posInt()]).optional(),
  numHeads: posInt().optional(),
  imgSize: posInt().optional(),
  patchSize: posInt().optional(),
  inChannels: posInt().optional(),
  /** MLP ratio of the stem stages. Default 3. */
  stemMlpRatio: posNum().optional(),
  /** MLP ratio of the main stage. Default 4. */
  mlpRatio: posNum().optional(),
  qkvBias: bool().optional(),
  dropRate: prob().optional(),
  attnDropRate: prob().optional(),
  /** Stochastic depth, linear over all blocks (stem and main). */
  dropPathRate: prob().optional(),
  /** LayerNorm epsilon: 1e-5 (mmpretrain's `dict(type='LN')`); iTPN uses 1e-6. */
  normEps: posNum().optional(),
  /** Absolute (learned) position embedding `pos_embed`. Default true. */
  ape: bool().optional(),
  /** Relative position bias in the main-stage attention. Default false (the classification configs: true). */
  rpe: bool().optional(),
  /** LayerNorm after the patch embedding. Default true. */
  patchNorm: bool().optional(),
  /** Layer scale (`gamma_1`, `gamma_2`) initial value; 0 for none. */
  layerScaleInit: z.number().min(0).optional(),
});

export type HiViTOptions = z.input<typeof hivitSchema>;

/** HiViT (Zhang et al. 2023): `(N, 3, H, W)` → the `outIndices` main blocks' `(N, C, H/p, W/p)` maps. */
export class HiViT extends Backbone {
  readonly embedDims: number;
  readonly depths: [number, number, number];
  readonly numHeads: number;
  readonly numFeatures: number;
  readonly stageChannels: number[];
  /** Indices into the main-stage blocks (mmpretrain's `out_indices`; default the last). */
  readonly outIndices: number[];
  readonly frozenStages: number;
  readonly normEval: boolean;
  readonly patchSize: number;
  readonly imgSize: number;
  readonly rpe: boolean;
  /** How many of `blocks` are the attention stage (the rest is the stem and the merges). */
  readonly numMainBlocks: number;

  readonly patchEmbed: HiViTPatchEmbed;
  readonly posEmbed: Tensor | null;
  readonly relativePositionIndex: Tensor | null;
  readonly posDrop: nn.Dropout;
  readonly blocks: nn.ModuleList<HiViTBlock | PatchMerge>;

  constructor(readonly o: HiViTOptions = {}) {
    super();
    const arch = HIVIT_ARCHS[o.arch ?? 'base'];
    this.embedDims = o.embedDims ?? arch.embedDims;
    this.depths = o.depths ?? arch.depths;
    this.numHeads = o.numHeads ?? arch.numHeads;
    this.numFeatures = this.embedDims;
    this.numMainBlocks = this.depths[2];
    this.stageChannels = new Array<number>(this.numMainBlocks).fill(this.embedDims);
    this.outIndices = resolveOutIndices(o.outIndices ?? [-1], this.numMainBlocks, 'HiViT');
    this.frozenStages = o.frozenStages ?? -1;
    this.normEval = o.normEval ?? false;
    this.patchSize = o.patchSize ?? 16;
    this.imgSize = o.imgSize ?? 224;
    this.rpe = o.rpe ?? false;
    const eps = o.normEps ?? 1e-5;
    if (this.embedDims % 4 !== 0) throw new RangeError(`HiViT: embedDims ${this.embedDims} must be divisible by 4`);
    if (this.patchSize % 4 !== 0)
      throw new RangeError(`HiViT: patchSize ${this.patchSize} must be divisible by 4 (4 × 4 inner patches)`);
    if (this.imgSize % this.patchSize !== 0)
      throw new RangeError(`HiViT: imgSize ${this.imgSize} must be a multiple of patchSize ${this.patchSize}`);
    const side = this.imgSize / this.patchSize;

    this.patchEmbed = this.registerModule(
      'patch_embed',
      new HiViTPatchEmbed(this.patchSize, 4, o.inChannels ?? 3, this.embedDims / 4, { norm: o.patchNorm ?? true, normEps: eps }),
    );
    this.posEmbed = this.registerParameter('pos_embed', (o.ape ?? true) ? torch.zeros([1, side * side, this.embedDims]) : null);
    this.relativePositionIndex = this.registerBuffer(
      'relative_position_index',
      this.rpe ? gridRelativePositionIndex(side) : null,
    );
    this.posDrop = this.registerModule('pos_drop', new nn.Dropout(o.dropRate ?? 0));

    // mmpretrain's flat list: 2·d₀ stem blocks, merge, 2·d₁ blocks, merge, d₂ attention blocks;
    // stochastic depth rises linearly over every block (merges excluded).
    const [d0, d1, d2] = this.depths;
    const total = 2 * d0 + 2 * d1 + d2;
    const dpr = o.dropPathRate ?? 0;
    let b = 0;
    const rate = () => {
      const r = total > 1 ? (dpr * b) / (total - 1) : 0;
      b += 1;
      return r;
    };
    const blocks: (HiViTBlock | PatchMerge)[] = [];
    let dim = this.embedDims / 4;
    for (const [stage, count] of [2 * d0, 2 * d1, d2].entries()) {
      const main = stage === 2;
      for (let i = 0; i < count; i++) {
        blocks.push(
          new HiViTBlock(dim, {
            numHeads: main ? this.numHeads : 0,
            mlpRatio: main ? (o.mlpRatio ?? 4) : (o.stemMlpRatio ?? 3),
            qkvBias: o.qkvBias ?? true,
            drop: o.dropRate ?? 0,
            attnDrop: o.attnDropRate ?? 0,
            dropPath: rate(),
            rpe: this.rpe,
            gridSide: side,
            layerScaleInit: o.layerScaleInit ?? 0,
            normEps: eps,
          }),
        );
      }
      if (!main) {
        blocks.push(new PatchMerge(dim, eps));
        dim *= 2;
      }
    }
    this.blocks = this.registerModule('blocks', new nn.ModuleList(blocks));
    if (this.frozenStages > blocks.length)
      throw new RangeError(`HiViT: frozenStages ${this.frozenStages} exceeds the ${blocks.length} entries of blocks`);

    this.initWeights();
    this.applyFreezing();
  }

  /** The patch grid of `imgSize`. */
  get gridSize(): [number, number] {
    const s = this.imgSize / this.patchSize;
    return [s, s];
  }

  /** The stem: 2·d₀ + 1 + 2·d₁ + 1 entries of `blocks`. */
  get stemBlocks(): (HiViTBlock | PatchMerge)[] {
    return [...this.blocks].slice(0, this.blocks.length - this.numMainBlocks);
  }

  /** The attention stage. */
  get mainBlocks(): HiViTBlock[] {
    return [...this.blocks].slice(this.blocks.length - this.numMainBlocks) as HiViTBlock[];
  }

  /** mmpretrain's HiViT init: trunc-normal(0.02) linears and position embedding, zero biases, LayerNorm 1/0. */
  initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const m of this.modules()) {
          if (m instanceof nn.Linear) {
            init.truncNormal_(m.weight, { std: 0.02 });
            m.bias?.zero_();
          } else if (m instanceof nn.LayerNorm) {
            m.weight?.fill_(1);
            m.bias?.zero_();
          } else if (m instanceof HiViTAttention && m.relativePositionBiasTable) {
            init.truncNormal_(m.relativePositionBiasTable, { std: 0.02 });
          }
        }
        if (this.posEmbed) init.truncNormal_(this.posEmbed, { std: 0.02 });
      }),
    );
  }

  /** Freezes the patch embedding, the position embedding and the first `frozenStages` entries of `blocks` (mmpretrain's count). */
  protected applyFreezing(): void {
    const k = this.frozenStages;
    if (k >= 0) {
      this.patchEmbed.eval().requiresGrad_(false);
      this.posDrop.eval();
      this.posEmbed?.requiresGrad_(false);
      for (let i = 0; i < k; i++) this.blocks.at(i).eval().requiresGrad_(false);
    }
    if (this.normEval && this.training) {
      for (const m of this.modules()) if (m instanceof nn.LayerNorm) m.eval();
    }
  }

  /** The position embedding for a `gh × gw` grid: the parameter, or a bicubic resize of it. */
  posEmbedFor(hw: [number, number]): Tensor | null {
    if (!this.posEmbed) return null;
    return resizePosEmbed(this.posEmbed, this.gridSize, hw, { numPrefixTokens: 0, mode: 'bicubic', antialias: false });
  }

  /** The stem over `(N, L, 4, 4, C/4)` inner patches → `(N, L, C)` tokens, plus the inputs of each merge. */
  protected runStem(t: Tensor): { tokens: Tensor; pyramid: Tensor[] } {
    const pyramid: Tensor[] = [];
    let x = t;
    for (const blk of this.stemBlocks) {
      if (blk instanceof PatchMerge) pyramid.push(x);
      x = blk.forward(x);
    }
    const [n, l] = x.shape;
    return { tokens: x.reshape(n, l, this.embedDims), pyramid };
  }

  /** Patch tokens `(N, L, C)` after the last main block (HiViT has no final norm). */
  forwardFeatures(x: Tensor): Tensor {
    return torch.tidy(() => this.encode(x).tokens);
  }

  private encode(x: Tensor): { tokens: Tensor; outs: Tensor[] } {
    const hw: [number, number] = [x.shape[2] / this.patchSize, x.shape[3] / this.patchSize];
    let t = this.runStem(this.patchEmbed.forward(x)).tokens;
    const pos = this.posEmbedFor(hw);
    if (pos) t = t.add(pos);
    t = this.posDrop.forward(t);
    const outs: Tensor[] = [];
    const [n, , c] = t.shape;
    for (const [i, blk] of this.mainBlocks.entries()) {
      t = blk.forward(t, this.rpe);
      if (this.outIndices.includes(i)) outs.push(t.transpose(1, 2).reshape(n, c, hw[0], hw[1]));
    }
    return { tokens: t, outs };
  }

  /** The `outIndices` main blocks' outputs, each `(N, C, H/p, W/p)`. */
  override forward(x: Tensor): Tensor[] {
    return torch.tidy(() => this.encode(x).outs);
  }
}

/** `HiViT` in BACKBONES (`arch` tiny/small/base/large or explicit sizes). */
export const hivitPart = definePart({
  registry: BACKBONES,
  name: 'HiViT',
  schema: hivitSchema,
  description: 'HiViT: MLP-only stem stages with patch merging, then a global-attention stage',
  build: (o) => new HiViT(o),
});
