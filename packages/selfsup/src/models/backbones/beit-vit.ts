/**
 * BEiT's Vision Transformer (Bao et al. 2022, "BEiT: BERT Pre-Training of Image Transformers",
 * arXiv:2106.08254), as MMSelfSup 1.x's `BEiTViT` (mmcls's `BEiT` plus a `mask_token`):
 * - attention with separate query and value biases and no key bias (`q_bias`, `v_bias`);
 * - a learnable relative position bias, one table shared by every block (`rel_pos_bias.*`, the
 *   default) or one per block (`blocks.i.attn.relative_position_bias_table`), over the patch grid
 *   plus three entries for the class token (to it, from it, itself);
 * - layer scale `gamma_1`/`gamma_2` (0.1 by default; 0 for none), an optional absolute position
 *   embedding (off by default);
 * - `forward(x, mask)`: masked patches `(N, h, w)` (1 = masked) replaced by `mask_token` before the
 *   class token is prepended; every block in `outIndices` returns its tokens `(N, 1 + L, C)`.
 *
 * State-dict keys are timm's `Beit` ones (`blocks.0.attn.q_bias`, `blocks.0.gamma_1`,
 * `blocks.0.mlp.fc1.*`, `rel_pos_bias.relative_position_bias_table`, `norm.*`), as `vit.ts` keeps
 * timm's ViT keys; `convertMMBEiTKeys` maps MMSelfSup / mmcls checkpoints (`layers.0.ln1.*`, …).
 * The relative position index is derived, not stored (a non-persistent buffer).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';
import { PatchEmbed } from './patch-embed.js';
import { resizePosEmbed } from './pos-embed.js';
import { clsRelativePositionIndex } from './relative-position.js';
import { Mlp, pairSchema, VIT_ARCHS, type ViTOutType } from './vit.js';

const { F } = torch;
const { init } = nn;

/** The bias `(heads, 1 + L, 1 + L)` a table `(numRel, heads)` gives through an index `(1 + L, 1 + L)`. */
export function gatherRelativeBias(table: Tensor, index: Tensor): Tensor {
  return torch.tidy(() => {
    const l = index.shape[0];
    return table.indexSelect(0, index.view(-1)).view(l, l, table.shape[1]).permute(2, 0, 1).contiguous();
  });
}

/** Rows of a relative position bias table for an `h × w` grid: offsets plus the class token's three. */
const tableRows = ([h, w]: [number, number]) => (2 * h - 1) * (2 * w - 1) + 3;

/** A relative position bias shared by all blocks (mmcls's `RelativePositionBias`, key `rel_pos_bias.*`). */
export class RelativePositionBias extends nn.Module<[], Tensor> {
  readonly relative_position_bias_table: Tensor;
  readonly relative_position_index: Tensor;

  constructor(windowSize: [number, number], numHeads: number) {
    super();
    this.relative_position_bias_table = this.registerParameter(
      'relative_position_bias_table',
      torch.zeros([tableRows(windowSize), numHeads]),
    );
    this.relative_position_index = this.registerBuffer('relative_position_index', clsRelativePositionIndex(...windowSize), {
      persistent: false,
    });
  }

  /** `(heads, 1 + L, 1 + L)`. */
  forward(): Tensor {
    return gatherRelativeBias(this.relative_position_bias_table, this.relative_position_index);
  }
}

/**
 * Multi-head attention over `(N, 1 + L, C)` with BEiT's biases: `qkv` has no bias of its own; the
 * query and value get `q_bias`, `v_bias` (the key none); softmax(q·kᵀ/√d + relative bias)·v.
 */
export class BEiTAttention extends nn.Module<[Tensor, (Tensor | null)?], Tensor> {
  readonly qkv: nn.Linear;
  readonly q_bias: Tensor | null;
  readonly v_bias: Tensor | null;
  /** A per-block relative position bias (timm's keys put it on the attention itself). */
  readonly relative_position_bias_table: Tensor | null;
  readonly relative_position_index: Tensor | null;
  readonly proj: nn.Linear;
  readonly projDrop: nn.Dropout;
  readonly headDim: number;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    o: { qkvBias?: boolean; windowSize?: [number, number] | null; drop?: number } = {},
  ) {
    super();
    if (dim % numHeads !== 0) throw new RangeError(`BEiTAttention: dim ${dim} must be divisible by numHeads ${numHeads}`);
    this.headDim = dim / numHeads;
    this.qkv = this.registerModule('qkv', new nn.Linear(dim, 3 * dim, { bias: false }));
    const qkvBias = o.qkvBias ?? true;
    this.q_bias = this.registerParameter('q_bias', qkvBias ? torch.zeros([dim]) : null);
    this.v_bias = this.registerParameter('v_bias', qkvBias ? torch.zeros([dim]) : null);
    const win = o.windowSize ?? null;
    this.relative_position_bias_table = this.registerParameter(
      'relative_position_bias_table',
      win ? torch.zeros([tableRows(win), numHeads]) : null,
    );
    this.relative_position_index = this.registerBuffer('relative_position_index', win ? clsRelativePositionIndex(...win) : null, {
      persistent: false,
    });
    this.proj = this.registerModule('proj', new nn.Linear(dim, dim));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(o.drop ?? 0));
  }

  /** The bias `(heads, T, T)` added to the logits: this block's own (if any) plus `shared`; null for none. */
  relativeBias(shared?: Tensor | null): Tensor | null {
    const table = this.relative_position_bias_table;
    const index = this.relative_position_index;
    if (!table || !index) return shared ?? null;
    return torch.tidy(() => {
      const own = gatherRelativeBias(table, index);
      return shared ? own.add(shared) : own;
    });
  }

  /** `x (N, T, C)`; `relPosBias (heads, T, T)`: a shared bias added to this block's own (if any). */
  forward(x: Tensor, relPosBias?: Tensor | null): Tensor {
    return torch.tidy(() => {
      const [n, t, c] = x.shape;
      let qkv = this.qkv.forward(x);
      if (this.q_bias && this.v_bias) qkv = qkv.add(torch.cat([this.q_bias, torch.zerosLike(this.v_bias), this.v_bias]));
      const [q, k, v] = qkv.reshape(n, t, 3, this.numHeads, this.headDim).permute(2, 0, 3, 1, 4).unbind(0);
      const bias = this.relativeBias(relPosBias);
      if (bias && bias.shape[1] !== t)
        throw new RangeError(
          `BEiTAttention: a relative position bias for ${bias.shape[1]} tokens cannot serve ${t} (the image size must be imgSize)`,
        );
      const o = F.scaledDotProductAttention(q, k, v, { attnMask: bias ? bias.unsqueeze(0) : null });
      return this.projDrop.forward(this.proj.forward(o.transpose(1, 2).reshape(n, t, c)));
    });
  }
}

export interface BEiTBlockOptions {
  mlpRatio?: number;
  qkvBias?: boolean;
  /** Layer-scale init; 0 for none (no `gamma_1`/`gamma_2`). */
  layerScaleInit?: number;
  /** The patch grid of a per-block relative position bias; null for none. */
  windowSize?: [number, number] | null;
  dropPath?: number;
  drop?: number;
  normEps?: number;
}

/** mmcls's `BEiTTransformerEncoderLayer`: x + γ₁·attn(norm1(x), bias), then x + γ₂·mlp(norm2(x)). */
export class BEiTBlock extends nn.Module<[Tensor, (Tensor | null)?], Tensor> {
  readonly norm1: nn.LayerNorm;
  readonly attn: BEiTAttention;
  readonly dropPath1: nn.DropPath;
  readonly norm2: nn.LayerNorm;
  readonly mlp: Mlp;
  readonly dropPath2: nn.DropPath;
  readonly gamma_1: Tensor | null;
  readonly gamma_2: Tensor | null;

  constructor(
    readonly dim: number,
    numHeads: number,
    readonly o: BEiTBlockOptions = {},
  ) {
    super();
    const eps = o.normEps ?? 1e-6;
    this.norm1 = this.registerModule('norm1', new nn.LayerNorm(dim, { eps }));
    this.attn = this.registerModule(
      'attn',
      new BEiTAttention(dim, numHeads, { qkvBias: o.qkvBias, windowSize: o.windowSize, drop: o.drop }),
    );
    this.dropPath1 = this.registerModule('drop_path1', new nn.DropPath(o.dropPath ?? 0));
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(dim, { eps }));
    this.mlp = this.registerModule('mlp', new Mlp(dim, Math.round(dim * (o.mlpRatio ?? 4)), o.drop ?? 0));
    this.dropPath2 = this.registerModule('drop_path2', new nn.DropPath(o.dropPath ?? 0));
    const ls = o.layerScaleInit ?? 0;
    this.gamma_1 = this.registerParameter('gamma_1', ls > 0 ? torch.full([dim], { float: ls }) : null);
    this.gamma_2 = this.registerParameter('gamma_2', ls > 0 ? torch.full([dim], { float: ls }) : null);
  }

  forward(x: Tensor, relPosBias?: Tensor | null): Tensor {
    return torch.tidy(() => {
      let a = this.attn.forward(this.norm1.forward(x), relPosBias);
      if (this.gamma_1) a = a.mul(this.gamma_1);
      const y = x.add(this.dropPath1.forward(a));
      let m = this.mlp.forward(this.norm2.forward(y));
      if (this.gamma_2) m = m.mul(this.gamma_2);
      return y.add(this.dropPath2.forward(m));
    });
  }
}

/**
 * Divides each block's output projections (`attn.proj`, `mlp.fc2`) by √(2·layer), layer counted from
 * 1 at `first + 1` (BEiT's `fix_init_weight`; the v2 neck's blocks continue the backbone's count).
 */
export function rescaleBlockInit(blocks: Iterable<BEiTBlock>, first = 0): void {
  torch.noGrad(() => {
    let layer = first;
    for (const b of blocks) {
      layer += 1;
      const s = 1 / Math.sqrt(2 * layer);
      b.attn.proj.weight.mul_({ float: s });
      b.mlp.fc2.weight.mul_({ float: s });
    }
  });
}

/** `BEiTViT` options (everything but `type`); defaults are MMSelfSup's. */
export const beitVitSchema = z.strictObject({
  ...backboneShape,
  /** A named size (mmcls's 'base' = ViT-B); `embedDim`/`depth`/`numHeads` override it. Default 'base'. */
  arch: z.enum(['tiny', 'small', 'base', 'large', 'huge']).optional(),
  embedDim: posInt().optional(),
  depth: posInt().optional(),
  numHeads: posInt().optional(),
  mlpRatio: posNum().optional(),
  /** The image size the relative bias tables (and any absolute embedding) are made for. Default 224. */
  imgSize: pairSchema().optional(),
  patchSize: pairSchema().optional(),
  inChannels: posInt().optional(),
  /** `q_bias`/`v_bias`. Default true. */
  qkvBias: bool().optional(),
  dropRate: prob().optional(),
  /** Stochastic depth: block i drops with rate i/(depth−1)·dropPathRate. Default 0. */
  dropPathRate: prob().optional(),
  normEps: posNum().optional(),
  /** LayerNorm after the last block (`norm`). Default true. */
  finalNorm: bool().optional(),
  /** An absolute learnable position embedding (`pos_embed`, MMSelfSup's `use_abs_pos_emb`). Default false. */
  absPosEmbed: bool().optional(),
  /** One relative position bias table per block (`use_rel_pos_bias`). Default false. */
  relPosBias: bool().optional(),
  /** One relative position bias table shared by all blocks (`use_shared_rel_pos_bias`). Default true. */
  sharedRelPosBias: bool().optional(),
  /** Layer scale init (`layer_scale_init_value`); 0 for none. Default 0.1. */
  layerScaleInit: nonNegNum().optional(),
  /** A learnable `mask_token` (MMSelfSup's BEiTViT always has one). Default true. */
  maskToken: bool().optional(),
  /**
   * Per out index: 'raw' tokens `(N, 1 + L, C)` (MMSelfSup's BEiTViT, the default), 'featmap'
   * patch tokens `(N, C, h, w)` (mmcls's BEiT, VQ-KD's encoder), 'clsToken', or 'avgFeatmap'.
   */
  outType: z.enum(['clsToken', 'featmap', 'avgFeatmap', 'raw']).optional(),
});
export type BEiTViTOptions = z.input<typeof beitVitSchema>;

export class BEiTViT extends Backbone {
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  readonly numFeatures: number;
  readonly stageChannels: number[];
  /** The class token leads every `raw` output: evaluation pools it (`cls`) or leaves it out of the patch average (`avg`). */
  readonly numPrefixTokens = 1;
  readonly outIndices: number[];
  readonly outType: ViTOutType;
  readonly frozenStages: number;
  readonly normEval: boolean;

  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Tensor;
  readonly posEmbed: Tensor | null;
  readonly maskToken: Tensor | null;
  readonly posDrop: nn.Dropout;
  readonly relPosBias: RelativePositionBias | null;
  readonly blocks: nn.ModuleList<BEiTBlock>;
  readonly norm: nn.LayerNorm | null;

  constructor(readonly o: BEiTViTOptions = {}) {
    super();
    const arch = VIT_ARCHS[o.arch ?? 'base'];
    this.embedDim = o.embedDim ?? arch.embedDim;
    this.depth = o.depth ?? arch.depth;
    this.numHeads = o.numHeads ?? arch.numHeads;
    this.numFeatures = this.embedDim;
    this.stageChannels = new Array<number>(this.depth).fill(this.embedDim);
    this.outIndices = resolveOutIndices(o.outIndices ?? [-1], this.depth, 'BEiTViT');
    this.outType = o.outType ?? 'raw';
    this.frozenStages = o.frozenStages ?? -1;
    this.normEval = o.normEval ?? false;
    if (this.frozenStages > this.depth)
      throw new RangeError(`BEiTViT: frozenStages ${this.frozenStages} exceeds depth ${this.depth}`);
    const perBlock = o.relPosBias ?? false;
    const shared = o.sharedRelPosBias ?? !perBlock;
    if (perBlock && shared) throw new TypeError('BEiTViT: relPosBias and sharedRelPosBias cannot both be true');

    this.patchEmbed = this.registerModule(
      'patch_embed',
      new PatchEmbed(o.imgSize ?? 224, o.patchSize ?? 16, this.embedDim, { inChannels: o.inChannels ?? 3 }),
    );
    const grid = this.patchEmbed.gridSize;
    this.clsToken = this.registerParameter('cls_token', torch.zeros([1, 1, this.embedDim]));
    this.maskToken = this.registerParameter('mask_token', (o.maskToken ?? true) ? torch.zeros([1, 1, this.embedDim]) : null);
    this.posEmbed = this.registerParameter(
      'pos_embed',
      o.absPosEmbed ? torch.zeros([1, 1 + grid[0] * grid[1], this.embedDim]) : null,
    );
    this.posDrop = this.registerModule('pos_drop', new nn.Dropout(o.dropRate ?? 0));
    this.relPosBias = shared ? this.registerModule('rel_pos_bias', new RelativePositionBias(grid, this.numHeads)) : null;
    const dpr = o.dropPathRate ?? 0;
    const blocks: BEiTBlock[] = [];
    for (let i = 0; i < this.depth; i++) {
      blocks.push(
        new BEiTBlock(this.embedDim, this.numHeads, {
          mlpRatio: o.mlpRatio,
          qkvBias: o.qkvBias,
          layerScaleInit: o.layerScaleInit ?? 0.1,
          windowSize: perBlock ? grid : null,
          dropPath: this.depth > 1 ? (dpr * i) / (this.depth - 1) : 0,
          drop: o.dropRate ?? 0,
          normEps: o.normEps,
        }),
      );
    }
    this.blocks = this.registerModule('blocks', new nn.ModuleList(blocks));
    this.norm =
      (o.finalNorm ?? true) ? this.registerModule('norm', new nn.LayerNorm(this.embedDim, { eps: o.normEps ?? 1e-6 })) : null;
    this.initWeights();
    this.applyFreezing();
  }

  get gridSize(): [number, number] {
    return this.patchEmbed.gridSize;
  }

  /**
   * MMSelfSup's BEiTViT init: trunc-normal(0.02) linears, patch convolution, class and mask tokens
   * (and absolute embedding), zero biases, LayerNorm 1/0, then each block's output projections
   * divided by √(2·layer). Relative bias tables start at zero.
   */
  initWeights(): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const m of this.modules()) {
          if (m instanceof nn.Linear || m instanceof nn.Conv2d) {
            init.truncNormal_(m.weight, { std: 0.02 });
            m.bias?.zero_();
          } else if (m instanceof nn.LayerNorm) {
            m.weight?.fill_(1);
            m.bias?.zero_();
          } else if (m instanceof BEiTBlock) {
            const ls = m.o.layerScaleInit ?? 0;
            m.gamma_1?.fill_({ float: ls });
            m.gamma_2?.fill_({ float: ls });
          } else if (m instanceof BEiTAttention) {
            m.q_bias?.zero_();
            m.v_bias?.zero_();
          }
        }
        for (const t of [this.clsToken, this.maskToken, this.posEmbed]) if (t) init.truncNormal_(t, { std: 0.02 });
        if (this.relPosBias) this.relPosBias.relative_position_bias_table.zero_();
        for (const b of this.blocks) b.attn.relative_position_bias_table?.zero_();
      }),
    );
    rescaleBlockInit(this.blocks);
  }

  protected applyFreezing(): void {
    const k = this.frozenStages;
    if (k >= 0) {
      this.patchEmbed.eval().requiresGrad_(false);
      this.posDrop.eval();
      for (const t of [this.clsToken, this.posEmbed, this.maskToken]) t?.requiresGrad_(false);
      this.relPosBias?.requiresGrad_(false);
      for (let i = 0; i < k; i++) this.blocks.at(i).eval().requiresGrad_(false);
      if (k === this.depth && this.norm) this.norm.eval().requiresGrad_(false);
    }
    if (this.normEval && this.training) for (const m of this.modules()) if (m instanceof nn.LayerNorm) m.eval();
  }

  /** The shared relative position bias `(heads, 1 + L, 1 + L)` (null without one): what BEiT v2's neck blocks reuse. */
  sharedRelPosBias(): Tensor | null {
    return this.relPosBias ? this.relPosBias.forward() : null;
  }

  /** Patch tokens (masked ones → mask token), class token, absolute embedding if any. */
  private embed(x: Tensor, mask?: Tensor | null): { tokens: Tensor; hw: [number, number] } {
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      let t = patches;
      const [n, l] = t.shape;
      if (mask) {
        if (!this.maskToken) throw new TypeError('BEiTViT: a mask was given but the model has no mask token (maskToken: true)');
        if (mask.numel() !== n * l)
          throw new RangeError(`BEiTViT: mask of shape [${mask.shape}] does not match ${n} images of ${hw[0]}x${hw[1]} patches`);
        const w = mask.reshape(n, l, 1).to(t.dtype);
        t = t.mul(w.rsub(1)).add(this.maskToken.mul(w));
      }
      t = torch.cat([this.clsToken.expand(n, -1, -1), t], 1);
      if (this.posEmbed) t = t.add(resizePosEmbed(this.posEmbed, this.gridSize, hw, { numPrefixTokens: 1, mode: 'bicubic' }));
      return { tokens: this.posDrop.forward(t), hw };
    });
  }

  private format(t: Tensor, hw: [number, number]): Tensor {
    switch (this.outType) {
      case 'raw':
        return t;
      case 'clsToken':
        return t.select(1, 0);
      case 'featmap':
        return t.slice(1, 1).reshape(t.shape[0], hw[0], hw[1], this.embedDim).permute(0, 3, 1, 2).contiguous();
      case 'avgFeatmap':
        return t.slice(1, 1).mean(1);
    }
  }

  /**
   * The tokens after each block in `outIndices` (the last block's after the final norm), shaped by
   * `outType`. With `mask` `(N, h, w)` (1/true = masked) masked patches enter as the mask token.
   */
  override forward(x: Tensor, mask?: Tensor | null): Tensor[] {
    return torch.tidy(() => {
      const { tokens, hw } = this.embed(x, mask);
      const bias = this.sharedRelPosBias();
      let t = tokens;
      const outs: Tensor[] = [];
      for (let i = 0; i < this.depth; i++) {
        t = this.blocks.at(i).forward(t, bias);
        if (i === this.depth - 1 && this.norm) t = this.norm.forward(t);
        if (this.outIndices.includes(i)) outs.push(this.format(t, hw));
      }
      return outs;
    });
  }

  /** All tokens `(N, 1 + L, C)` after the last block and the final norm. */
  forwardFeatures(x: Tensor, mask?: Tensor | null): Tensor {
    return torch.tidy(() => {
      const bias = this.sharedRelPosBias();
      let t = this.embed(x, mask).tokens;
      for (const b of this.blocks) t = b.forward(t, bias);
      return this.norm ? this.norm.forward(t) : t;
    });
  }

  /** MMSelfSup / mmcls BEiT keys (`layers.0.ln1.*`, `ffn.layers.0.0.*`, `ln1.*`) map to ours. */
  override adaptStateDict<T>(sd: Record<string, T>): Record<string, T> {
    return Object.keys(sd).some((k) => /^(backbone\.)?layers\.\d+\./.test(k)) ? convertMMBEiTKeys(sd) : sd;
  }
}

const MM_BEIT_RULES: [RegExp, string][] = [
  [/^patch_embed\.projection\./, 'patch_embed.proj.'],
  [/^layers\.(\d+)\.ln1\./, 'blocks.$1.norm1.'],
  [/^layers\.(\d+)\.ln2\./, 'blocks.$1.norm2.'],
  [/^layers\.(\d+)\.gamma_(\d)$/, 'blocks.$1.gamma_$2'],
  [/^layers\.(\d+)\.ffn\.layers\.0\.0\./, 'blocks.$1.mlp.fc1.'],
  [/^layers\.(\d+)\.ffn\.layers\.1\./, 'blocks.$1.mlp.fc2.'],
  [/^layers\.(\d+)\.attn\./, 'blocks.$1.attn.'],
  [/^ln1\./, 'norm.'],
];

/**
 * Maps MMSelfSup / mmcls BEiT keys to ours (timm's `Beit`): `layers.i.ln1/ln2` → `blocks.i.norm1/norm2`,
 * `layers.i.ffn.layers.0.0` / `.1` → `blocks.i.mlp.fc1` / `fc2`, `layers.i.gamma_1` → `blocks.i.gamma_1`,
 * `layers.i.attn.*` → `blocks.i.attn.*`, `ln1.*` → `norm.*`, `patch_embed.projection` → `patch_embed.proj`.
 * A `backbone.` prefix is dropped (keeping only those keys); the stored `relative_position_index`
 * buffers are dropped (ours are derived from the grid). Other keys pass through.
 */
export function convertMMBEiTKeys<T>(sd: Record<string, T>): Record<string, T> {
  let entries = Object.entries(sd);
  if (entries.some(([k]) => k.startsWith('backbone.')))
    entries = entries.filter(([k]) => k.startsWith('backbone.')).map(([k, v]) => [k.slice('backbone.'.length), v]);
  const out: Record<string, T> = {};
  for (const [k, v] of entries) {
    if (k.endsWith('relative_position_index')) continue;
    const rule = MM_BEIT_RULES.find(([re]) => re.test(k));
    out[rule ? k.replace(rule[0], rule[1]) : k] = v;
  }
  return out;
}

/** `BEiTViT`: MMSelfSup's BEiT backbone (relative position bias, layer scale, mask token). */
export const beitVitPart = definePart({
  registry: BACKBONES,
  name: 'BEiTViT',
  schema: beitVitSchema,
  description: "BEiT's ViT: q/v biases, shared or per-block relative position bias, layer scale, mask token",
  build: (o) => new BEiTViT(o),
});
