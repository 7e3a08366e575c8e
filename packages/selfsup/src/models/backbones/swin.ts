/**
 * Swin Transformer (Liu et al. 2021, "Hierarchical Vision Transformer using Shifted Windows") as
 * MMSelfSup's `SimMIMSwinTransformer`: mmcls/mmpretrain's `SwinTransformer` plus a learnable
 * `mask_token` that replaces masked patch embeddings (SimMIM, Xie et al. 2022).
 *
 * State-dict keys are mmcls/mmpretrain's (so MMSelfSup SimMIM checkpoints load after stripping
 * `backbone.`): `patch_embed.projection.weight`, `patch_embed.norm.weight`,
 * `stages.0.blocks.0.norm1.weight`, `stages.0.blocks.0.attn.w_msa.qkv.weight`,
 * `stages.0.blocks.0.attn.w_msa.relative_position_bias_table`, `…w_msa.relative_position_index`,
 * `stages.0.blocks.0.ffn.layers.0.0.weight` / `ffn.layers.1.weight`, `stages.0.downsample.norm.weight`,
 * `stages.0.downsample.reduction.weight`, `norm3.weight`, `mask_token`. Patch merging concatenates
 * each 2×2 neighbourhood in `nn.Unfold` order (channel-major), as mmcv's `PatchMerging`, which
 * differs from timm's / the original repository's x0..x3 order.
 *
 * Windows: blocks alternate plain and shifted (by window/2) windows; shifted ones use the cyclic-shift
 * attention mask (−100 between regions). Feature maps that are not a multiple of the window are
 * zero-padded at the bottom/right; a map exactly one window large is not shifted; a map smaller than the
 * window needs `padSmallMap` (all as mmcls).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';
import { PatchEmbed } from './patch-embed.js';
import { pairSchema } from './vit.js';
import { resizePosEmbed } from './pos-embed.js';
import { gridRelativePositionIndex } from './relative-position.js';

const { F } = torch;
const { init } = nn;

/** Window multi-head self-attention with a learned relative position bias (mmcls's `WindowMSA`). */
export class WindowMSA extends nn.Module<[Tensor, Tensor | null], Tensor> {
  readonly relativePositionBiasTable: Tensor;
  readonly relativePositionIndex: Tensor;
  readonly qkv: nn.Linear;
  readonly proj: nn.Linear;
  readonly projDrop: nn.Dropout;
  readonly headDim: number;
  readonly scale: number;

  constructor(
    readonly embedDim: number,
    readonly windowSize: number,
    readonly numHeads: number,
    readonly o: { qkvBias?: boolean; attnDrop?: number; projDrop?: number } = {},
  ) {
    super();
    this.headDim = Math.floor(embedDim / numHeads);
    this.scale = this.headDim ** -0.5;
    const ws = windowSize;
    this.relativePositionBiasTable = this.registerParameter(
      'relative_position_bias_table',
      torch.zeros([(2 * ws - 1) * (2 * ws - 1), numHeads]),
    );
    this.relativePositionIndex = this.registerBuffer('relative_position_index', gridRelativePositionIndex(ws));
    this.qkv = this.registerModule('qkv', new nn.Linear(embedDim, embedDim * 3, { bias: o.qkvBias ?? true }));
    this.proj = this.registerModule('proj', new nn.Linear(embedDim, embedDim));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(o.projDrop ?? 0));
  }

  /** The relative position bias `(heads, ws², ws²)` every window's attention logits get. */
  relativeBias(): Tensor {
    const n = this.windowSize * this.windowSize;
    return torch.tidy(() =>
      this.relativePositionBiasTable.index(this.relativePositionIndex.view(-1)).view(n, n, this.numHeads).permute(2, 0, 1),
    );
  }

  /** `x (B·nW, ws², C)`; `mask (nW, ws², ws²)` of 0 / −100, or null. */
  forward(x: Tensor, mask: Tensor | null): Tensor {
    return torch.tidy(() => {
      const [b, n, c] = x.shape;
      const h = this.numHeads;
      const [q, k, v] = this.qkv
        .forward(x)
        .reshape(b, n, 3, h, c / h)
        .permute(2, 0, 3, 1, 4)
        .unbind(0);
      let attn = q.mul({ float: this.scale }).matmul(k.transpose(-2, -1));
      attn = attn.add(this.relativeBias().unsqueeze(0));
      if (mask) {
        const nw = mask.shape[0];
        attn = attn
          .view(b / nw, nw, h, n, n)
          .add(mask.unsqueeze(1).unsqueeze(0))
          .view(b, h, n, n);
      }
      attn = F.softmax(attn, -1);
      const p = this.o.attnDrop ?? 0;
      if (p > 0 && this.training) attn = F.dropout(attn, p, true);
      const out = attn.matmul(v).transpose(1, 2).reshape(b, n, c);
      return this.projDrop.forward(this.proj.forward(out));
    });
  }
}

/** `(B, H, W, C)` → `(B·nW, ws², C)`, windows in row-major order. */
export function windowPartition(x: Tensor, ws: number): Tensor {
  const [b, h, w, c] = x.shape;
  return x
    .view(b, h / ws, ws, w / ws, ws, c)
    .permute(0, 1, 3, 2, 4, 5)
    .reshape(-1, ws * ws, c);
}

/** Inverse of `windowPartition`. */
export function windowReverse(windows: Tensor, b: number, h: number, w: number, ws: number): Tensor {
  const c = windows.shape[2];
  return windows
    .reshape(b, h / ws, w / ws, ws, ws, c)
    .permute(0, 1, 3, 2, 4, 5)
    .reshape(b, h, w, c);
}

/** The `(nW, ws², ws²)` shifted-window mask: 0 within a region, −100 across regions. */
export function shiftAttnMask(hp: number, wp: number, ws: number, shift: number): Float32Array {
  const region = (pos: number, size: number) => (pos < size - ws ? 0 : pos < size - shift ? 1 : 2);
  const n = ws * ws;
  const nh = hp / ws;
  const nw = wp / ws;
  const out = new Float32Array(nh * nw * n * n);
  const ids = new Int32Array(n);
  for (let wi = 0; wi < nh; wi++) {
    for (let wj = 0; wj < nw; wj++) {
      for (let p = 0; p < n; p++) {
        ids[p] = region(wi * ws + Math.floor(p / ws), hp) * 3 + region(wj * ws + (p % ws), wp);
      }
      const base = (wi * nw + wj) * n * n;
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) out[base + p * n + q] = ids[p] === ids[q] ? 0 : -100;
    }
  }
  return out;
}

/** (Shifted) window attention over a `(B, H·W, C)` map, with drop path on its output (mmcls's `ShiftWindowMSA`). */
export class ShiftWindowMSA extends nn.Module<[Tensor, [number, number]], Tensor> {
  readonly wMsa: WindowMSA;
  readonly drop: nn.DropPath;
  private readonly maskCache = new Map<string, Tensor>();

  constructor(
    embedDim: number,
    numHeads: number,
    readonly windowSize: number,
    readonly shiftSize: number,
    readonly o: { qkvBias?: boolean; attnDrop?: number; projDrop?: number; dropPath?: number; padSmallMap?: boolean } = {},
  ) {
    super();
    if (!(shiftSize >= 0 && shiftSize < windowSize))
      throw new RangeError(`ShiftWindowMSA: shift ${shiftSize} must be in [0, window ${windowSize})`);
    this.wMsa = this.registerModule('w_msa', new WindowMSA(embedDim, windowSize, numHeads, o));
    this.drop = this.registerModule('drop', new nn.DropPath(o.dropPath ?? 0));
  }

  private attnMask(hp: number, wp: number, shift: number, like: Tensor): Tensor {
    const key = `${hp}x${wp}/${shift}@${like.device}/${like.dtype}`;
    let m = this.maskCache.get(key);
    if (!m) {
      const nW = (hp / this.windowSize) * (wp / this.windowSize);
      const n = this.windowSize * this.windowSize;
      const cpu = torch.tensor(shiftAttnMask(hp, wp, this.windowSize, shift), { shape: [nW, n, n] });
      m = torch.keep(cpu.to({ dtype: like.dtype, device: like.device }));
      if (m !== cpu) cpu.dispose();
      this.maskCache.set(key, m);
    }
    return m;
  }

  /**
   * The shift used on an `h × w` map: none when the map is exactly one window (unless
   * `padSmallMap`); a map smaller than the window is refused without `padSmallMap`.
   */
  shiftFor([h, w]: [number, number]): number {
    const ws = this.windowSize;
    const padSmall = this.o.padSmallMap ?? false;
    if (Math.min(h, w) === ws) return padSmall ? this.shiftSize : 0;
    if (Math.min(h, w) < ws && !padSmall)
      throw new RangeError(
        `ShiftWindowMSA: the ${h}x${w} map is smaller than the window ${ws}: set padSmallMap or use a smaller window`,
      );
    return this.shiftSize;
  }

  forward(x: Tensor, hw: [number, number]): Tensor {
    const [b, l, c] = x.shape;
    const [h, w] = hw;
    if (l !== h * w) throw new RangeError(`ShiftWindowMSA: ${l} tokens do not match a ${h}x${w} map`);
    const ws = this.windowSize;
    const shift = this.shiftFor(hw);
    return torch.tidy(() => {
      const padR = (ws - (w % ws)) % ws;
      const padB = (ws - (h % ws)) % ws;
      let q = x.view(b, h, w, c);
      if (padR || padB) q = F.pad(q, [0, 0, 0, padR, 0, padB]);
      const hp = h + padB;
      const wp = w + padR;
      if (shift > 0) q = q.roll([-shift, -shift], [1, 2]);
      const mask = shift > 0 ? this.attnMask(hp, wp, shift, x) : null;
      const windows = this.wMsa.forward(windowPartition(q, ws), mask);
      let y = windowReverse(windows, b, hp, wp, ws);
      if (shift > 0) y = y.roll([shift, shift], [1, 2]);
      if (padR || padB) y = y.slice(1, 0, h).slice(2, 0, w);
      return this.drop.forward(y.reshape(b, h * w, c));
    });
  }

  override dispose(): void {
    for (const m of this.maskCache.values()) m.dispose();
    this.maskCache.clear();
    super.dispose();
  }
}

/** mmcv's `FFN`: `layers` = [[fc1, GELU, dropout], fc2, dropout]; returns identity + dropPath(layers(x)). */
export class FFN extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly layers: nn.Sequential;
  readonly dropoutLayer: nn.DropPath;

  constructor(embedDim: number, hidden: number, o: { drop?: number; dropPath?: number } = {}) {
    super();
    const p = o.drop ?? 0;
    this.layers = this.registerModule(
      'layers',
      new nn.Sequential(
        new nn.Sequential(new nn.Linear(embedDim, hidden), new nn.GELU(), new nn.Dropout(p)),
        new nn.Linear(hidden, embedDim),
        new nn.Dropout(p),
      ),
    );
    this.dropoutLayer = this.registerModule('dropout_layer', new nn.DropPath(o.dropPath ?? 0));
  }

  forward(x: Tensor, identity: Tensor): Tensor {
    return torch.tidy(() => identity.add(this.dropoutLayer.forward(this.layers.forward(x))));
  }
}

export class SwinBlock extends nn.Module<[Tensor, [number, number]], Tensor> {
  readonly norm1: nn.LayerNorm;
  readonly attn: ShiftWindowMSA;
  readonly norm2: nn.LayerNorm;
  readonly ffn: FFN;

  constructor(
    embedDim: number,
    numHeads: number,
    o: {
      windowSize: number;
      shift: boolean;
      mlpRatio?: number;
      dropPath?: number;
      drop?: number;
      attnDrop?: number;
      qkvBias?: boolean;
      padSmallMap?: boolean;
    },
  ) {
    super();
    this.norm1 = this.registerModule('norm1', new nn.LayerNorm(embedDim));
    this.attn = this.registerModule(
      'attn',
      new ShiftWindowMSA(embedDim, numHeads, o.windowSize, o.shift ? Math.floor(o.windowSize / 2) : 0, {
        qkvBias: o.qkvBias,
        attnDrop: o.attnDrop,
        projDrop: o.drop,
        dropPath: o.dropPath,
        padSmallMap: o.padSmallMap,
      }),
    );
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(embedDim));
    this.ffn = this.registerModule(
      'ffn',
      new FFN(embedDim, Math.floor(embedDim * (o.mlpRatio ?? 4)), { drop: o.drop, dropPath: o.dropPath }),
    );
  }

  forward(x: Tensor, hw: [number, number]): Tensor {
    return torch.tidy(() => {
      const y = x.add(this.attn.forward(this.norm1.forward(x), hw));
      return this.ffn.forward(this.norm2.forward(y), y);
    });
  }
}

/**
 * Merges each 2×2 neighbourhood: `(B, H·W, C)` → `(B, ⌈H/2⌉·⌈W/2⌉, 2C)` through `nn.Unfold` order,
 * LayerNorm(4C) and a bias-free linear (mmcv's `PatchMerging`; odd maps padded at the bottom/right).
 */
export class PatchMerging extends nn.Module<[Tensor, [number, number]], { tokens: Tensor; hw: [number, number] }> {
  readonly norm: nn.LayerNorm;
  readonly reduction: nn.Linear;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
  ) {
    super();
    this.norm = this.registerModule('norm', new nn.LayerNorm(4 * inChannels));
    this.reduction = this.registerModule('reduction', new nn.Linear(4 * inChannels, outChannels, { bias: false }));
  }

  forward(x: Tensor, hw: [number, number]): { tokens: Tensor; hw: [number, number] } {
    const [b, , c] = x.shape;
    const [h, w] = hw;
    const out: [number, number] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    const tokens = torch.tidy(() => {
      let m = x.view(b, h, w, c).permute(0, 3, 1, 2);
      if (h % 2 || w % 2) m = F.pad(m, [0, w % 2, 0, h % 2]);
      const cols = F.unfold(m.contiguous(), 2, { stride: 2 }).transpose(1, 2);
      return this.reduction.forward(this.norm.forward(cols));
    });
    return { tokens, hw: out };
  }
}

/** One stage: `blocks` (alternating plain / shifted windows) then an optional `downsample`. */
export class SwinStage extends nn.Module<[Tensor, [number, number]], Tensor> {
  readonly blocks: nn.ModuleList<SwinBlock>;
  readonly downsample: PatchMerging | null;

  constructor(
    readonly embedDim: number,
    depth: number,
    numHeads: number,
    o: {
      windowSize: number;
      downsample: boolean;
      dropPaths: number[];
      mlpRatio?: number;
      drop?: number;
      attnDrop?: number;
      qkvBias?: boolean;
      padSmallMap?: boolean;
    },
  ) {
    super();
    const blocks: SwinBlock[] = [];
    for (let i = 0; i < depth; i++) {
      blocks.push(
        new SwinBlock(embedDim, numHeads, {
          windowSize: o.windowSize,
          shift: i % 2 === 1,
          mlpRatio: o.mlpRatio,
          dropPath: o.dropPaths[i],
          drop: o.drop,
          attnDrop: o.attnDrop,
          qkvBias: o.qkvBias,
          padSmallMap: o.padSmallMap,
        }),
      );
    }
    this.blocks = this.registerModule('blocks', new nn.ModuleList(blocks));
    this.downsample = o.downsample ? this.registerModule('downsample', new PatchMerging(embedDim, 2 * embedDim)) : null;
  }

  /** Runs the blocks only (the stage's output, before downsampling). */
  forward(x: Tensor, hw: [number, number]): Tensor {
    return torch.tidy(() => {
      let t = x;
      for (const b of this.blocks) t = b.forward(t, hw);
      return t;
    });
  }
}

export type SwinArch = 'tiny' | 'small' | 'base' | 'large';

/** mmcls's arch zoo (also MMSelfSup SimMIM's). */
export const SWIN_ARCHS: Record<SwinArch, { embedDim: number; depths: number[]; numHeads: number[] }> = {
  tiny: { embedDim: 96, depths: [2, 2, 6, 2], numHeads: [3, 6, 12, 24] },
  small: { embedDim: 96, depths: [2, 2, 18, 2], numHeads: [3, 6, 12, 24] },
  base: { embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32] },
  large: { embedDim: 192, depths: [2, 2, 18, 2], numHeads: [6, 12, 24, 48] },
};

/** `SwinTransformer` options (everything but `type`). */
export const swinSchema = z.strictObject({
  ...backboneShape,
  /** Default 'tiny'; `embedDim`/`depths`/`numHeads` override it. */
  arch: z.enum(['tiny', 'small', 'base', 'large']).optional(),
  embedDim: posInt().optional(),
  depths: z.array(posInt()).min(1).optional(),
  numHeads: z.array(posInt()).min(1).optional(),
  /** Default 224 (SimMIM pre-trains at 192 with window 6). */
  imgSize: pairSchema().optional(),
  patchSize: pairSchema().optional(),
  inChannels: posInt().optional(),
  /** Default 7. */
  windowSize: posInt().optional(),
  mlpRatio: posNum().optional(),
  qkvBias: bool().optional(),
  dropRate: prob().optional(),
  attnDropRate: prob().optional(),
  /** Stochastic depth over all blocks, linearly from 0. Default 0.1 (mmcls / SimMIM). */
  dropPathRate: prob().optional(),
  /** A learnable absolute position embedding (`absolute_pos_embed`). Default false. */
  useAbsPosEmbed: bool().optional(),
  /** Pad feature maps smaller than a window (detection-style) instead of refusing them. */
  padSmallMap: bool().optional(),
  /** The SimMIM `mask_token`. Default true (the `SimMIMSwinTransformer`); false for mmcls's plain Swin keys. */
  maskToken: bool().optional(),
});

export type SwinOptions = z.input<typeof swinSchema>;

export class SwinTransformer extends Backbone {
  readonly embedDim: number;
  readonly depths: number[];
  readonly numHeads: number[];
  readonly numFeatures: number;
  readonly stageChannels: number[];
  readonly outIndices: number[];
  readonly frozenStages: number;
  readonly normEval: boolean;
  readonly windowSize: number;

  readonly patchEmbed: PatchEmbed;
  readonly absolutePosEmbed: Tensor | null;
  readonly maskToken: Tensor | null;
  readonly dropAfterPos: nn.Dropout;
  readonly stages: nn.ModuleList<SwinStage>;
  /** `norm{i}` for each out index i. */
  readonly outNorms = new Map<number, nn.LayerNorm>();

  constructor(readonly o: SwinOptions = {}) {
    super();
    const arch = SWIN_ARCHS[o.arch ?? 'tiny'];
    if (!arch) throw new RangeError(`SwinTransformer: unknown arch '${o.arch}' (${Object.keys(SWIN_ARCHS).join(', ')})`);
    this.embedDim = o.embedDim ?? arch.embedDim;
    this.depths = o.depths ?? arch.depths;
    this.numHeads = o.numHeads ?? arch.numHeads;
    if (this.depths.length !== this.numHeads.length)
      throw new RangeError(`SwinTransformer: ${this.depths.length} depths but ${this.numHeads.length} head counts`);
    const numStages = this.depths.length;
    this.stageChannels = this.depths.map((_, i) => this.embedDim * 2 ** i);
    this.numFeatures = this.stageChannels[numStages - 1];
    this.outIndices = resolveOutIndices(o.outIndices ?? [numStages - 1], numStages, 'SwinTransformer');
    this.frozenStages = o.frozenStages ?? -1;
    this.normEval = o.normEval ?? false;
    this.windowSize = o.windowSize ?? 7;
    if (this.frozenStages > numStages)
      throw new RangeError(`SwinTransformer: frozenStages ${this.frozenStages} exceeds the ${numStages} stages`);

    this.patchEmbed = this.registerModule(
      'patch_embed',
      new PatchEmbed(o.imgSize ?? 224, o.patchSize ?? 4, this.embedDim, {
        inChannels: o.inChannels ?? 3,
        projName: 'projection',
        norm: { eps: 1e-5 },
      }),
    );
    const [gh, gw] = this.patchEmbed.gridSize;
    this.absolutePosEmbed = this.registerParameter(
      'absolute_pos_embed',
      o.useAbsPosEmbed ? torch.zeros([1, gh * gw, this.embedDim]) : null,
    );
    this.maskToken = this.registerParameter('mask_token', (o.maskToken ?? true) ? torch.zeros([1, 1, this.embedDim]) : null);
    this.dropAfterPos = this.registerModule('drop_after_pos', new nn.Dropout(o.dropRate ?? 0));

    const total = this.depths.reduce((a, b) => a + b, 0);
    const rate = o.dropPathRate ?? 0.1;
    const dpr = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
    const stages: SwinStage[] = [];
    let offset = 0;
    for (let i = 0; i < numStages; i++) {
      stages.push(
        new SwinStage(this.stageChannels[i], this.depths[i], this.numHeads[i], {
          windowSize: this.windowSize,
          downsample: i < numStages - 1,
          dropPaths: dpr.slice(offset, offset + this.depths[i]),
          mlpRatio: o.mlpRatio,
          drop: o.dropRate,
          attnDrop: o.attnDropRate,
          qkvBias: o.qkvBias,
          padSmallMap: o.padSmallMap,
        }),
      );
      offset += this.depths[i];
    }
    this.stages = this.registerModule('stages', new nn.ModuleList(stages));
    for (const i of this.outIndices) {
      this.outNorms.set(i, this.registerModule(`norm${i}`, new nn.LayerNorm(this.stageChannels[i])));
    }

    this.initWeights();
    this.applyFreezing();
  }

  /** SimMIM's scheme: trunc-normal(0.02) linears, zero biases, LayerNorm 1/0, trunc-normal(0.02)
   * relative position bias tables, mask token and absolute position embedding; the patch projection
   * keeps PyTorch's convolution default. */
  initWeights(): void {
    torch.noGrad(() => {
      for (const m of this.modules()) {
        if (m instanceof nn.Linear) {
          init.truncNormal_(m.weight, { std: 0.02 });
          m.bias?.zero_();
        } else if (m instanceof nn.LayerNorm) {
          m.weight?.fill_(1);
          m.bias?.zero_();
        } else if (m instanceof WindowMSA) {
          init.truncNormal_(m.relativePositionBiasTable, { std: 0.02 });
        }
      }
      const conv = this.patchEmbed.proj;
      init.kaimingUniform_(conv.weight, { a: Math.sqrt(5) });
      if (conv.bias) {
        const bound = 1 / Math.sqrt(init.calculateFanInAndFanOut(conv.weight).fanIn);
        init.uniform_(conv.bias, -bound, bound);
      }
      if (this.maskToken) init.truncNormal_(this.maskToken, { std: 0.02 });
      if (this.absolutePosEmbed) init.truncNormal_(this.absolutePosEmbed, { std: 0.02 });
    });
  }

  protected applyFreezing(): void {
    const k = this.frozenStages;
    if (k >= 0) {
      this.patchEmbed.eval().requiresGrad_(false);
      this.dropAfterPos.eval();
      for (const t of [this.absolutePosEmbed, this.maskToken]) t?.requiresGrad_(false);
      for (let i = 0; i < k; i++) {
        this.stages.at(i).eval().requiresGrad_(false);
        this.outNorms.get(i)?.eval().requiresGrad_(false);
      }
    }
    if (this.normEval && this.training) {
      for (const m of this.modules()) if (m instanceof nn.LayerNorm || m instanceof nn.BatchNorm2d) m.eval();
    }
  }

  /**
   * Patch embedding (with its LayerNorm), masked patches replaced by `mask_token` when `mask`
   * `(N, h, w)` or `(N, L)` is given (1/true = masked), plus the absolute position embedding if any.
   */
  embed(x: Tensor, mask?: Tensor | null): { tokens: Tensor; hw: [number, number] } {
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      let t = patches;
      const [n, l] = t.shape;
      if (mask) {
        if (!this.maskToken) throw new TypeError('SwinTransformer: a mask was given but the model has no mask token');
        if (mask.numel() !== n * l)
          throw new RangeError(
            `SwinTransformer: mask of shape [${mask.shape}] does not match ${n} images of ${hw[0]}x${hw[1]} patches`,
          );
        const w = mask.reshape(n, l, 1).to(t.dtype);
        t = t.mul(w.rsub(1)).add(this.maskToken.mul(w));
      }
      const pos = this.absolutePosEmbedFor(hw);
      if (pos) t = t.add(pos);
      return { tokens: this.dropAfterPos.forward(t), hw };
    });
  }

  /** The absolute position embedding `(1, h·w, C)` resized for an `h × w` patch grid, or null without one. */
  absolutePosEmbedFor(hw: [number, number]): Tensor | null {
    if (!this.absolutePosEmbed) return null;
    return resizePosEmbed(this.absolutePosEmbed, this.patchEmbed.gridSize, hw, { numPrefixTokens: 0 });
  }

  private run(x: Tensor, mask: Tensor | null | undefined, collect: (i: number, t: Tensor, hw: [number, number]) => void): void {
    let { tokens: t, hw } = this.embed(x, mask);
    for (let i = 0; i < this.stages.length; i++) {
      const stage = this.stages.at(i);
      t = stage.forward(t, hw);
      collect(i, t, hw);
      if (stage.downsample) ({ tokens: t, hw } = stage.downsample.forward(t, hw));
    }
  }

  private toMap(t: Tensor, hw: [number, number], i: number): Tensor {
    const norm = this.outNorms.get(i);
    const y = norm ? norm.forward(t) : t;
    return y.reshape(t.shape[0], hw[0], hw[1], this.stageChannels[i]).permute(0, 3, 1, 2).contiguous();
  }

  /** `(N, C_i, H_i, W_i)` maps of the stages in `outIndices` (each through its `norm{i}`), before downsampling. */
  override forward(x: Tensor, mask?: Tensor | null): Tensor[] {
    return torch.tidy(() => {
      const outs: Tensor[] = [];
      this.run(x, mask, (i, t, hw) => {
        if (this.outNorms.has(i)) outs.push(this.toMap(t, hw, i));
      });
      return outs;
    });
  }

  /** The last stage's `(N, C, h, w)` map (through its `norm{i}` when the last stage is an out index). */
  forwardFeatures(x: Tensor, mask?: Tensor | null): Tensor {
    return torch.tidy(() => {
      let last: Tensor | null = null;
      this.run(x, mask, (i, t, hw) => {
        if (i === this.stages.length - 1) last = this.toMap(t, hw, i);
      });
      return last as unknown as Tensor;
    });
  }
}

/** `SwinTransformer`: mmcls's keys, no mask token. */
export const swinPart = definePart({
  registry: BACKBONES,
  name: 'SwinTransformer',
  schema: swinSchema,
  description: "Swin Transformer (mmcls's keys)",
  build: (o) => new SwinTransformer({ maskToken: false, ...o }),
});

/** `SimMIMSwinTransformer`: with SimMIM's `mask_token`. */
export const simmimSwinPart = definePart({
  registry: BACKBONES,
  name: 'SimMIMSwinTransformer',
  schema: swinSchema,
  description: "Swin Transformer with SimMIM's mask token",
  build: (o) => new SwinTransformer({ maskToken: true, ...o }),
});

/** `swin-tiny|small|base`: SimMIM's named sizes. */
export const swinArchParts = (['tiny', 'small', 'base'] as const).map((arch) =>
  definePart({
    registry: BACKBONES,
    name: `swin-${arch}`,
    schema: swinSchema.omit({ arch: true }),
    description: `Swin-${arch[0].toUpperCase()} (with the mask token)`,
    build: (o) => new SwinTransformer({ maskToken: true, ...o, arch }),
  }),
);
