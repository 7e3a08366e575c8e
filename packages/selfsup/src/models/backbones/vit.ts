/**
 * Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words") with timm's
 * state-dict keys (`cls_token`, `pos_embed`, `patch_embed.proj.weight`, `blocks.0.norm1.weight`,
 * `blocks.0.attn.qkv.weight`, `blocks.0.ls1.gamma`, `blocks.0.mlp.fc1.weight`, `norm.weight`, …), so
 * timm checkpoints load directly; `convertMMClsViTKeys` maps MMSelfSup / mmcls checkpoints.
 *
 * Beyond a classifier backbone it carries what MMSelfSup's ViT variants add:
 * - fixed 2-D sine-cosine position embedding (MAE, MoCo v3) or a learnable one, resized by bicubic
 *   interpolation when the input grid differs from `imgSize`'s;
 * - layer scale (CaiT / BEiT), stochastic depth, qkv bias;
 * - `forwardMasked`: MAE's per-sample random masking (noise → argsort), encoding only visible tokens;
 * - `forward(x, mask)`: a learnable `mask_token` replaces masked patch embeddings (SimMIM, BEiT, MaskFeat).
 */
import * as torch from '@selfsup/torch';
import { nn, Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, posNum, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';
import { type KeyRule, renameKey } from './key-rules.js';
import { PatchEmbed } from './patch-embed.js';
import { resizePosEmbed, sincos2dPosEmbed } from './pos-embed.js';

const { F } = torch;
const { init } = nn;

/** Multiplies by a learnable per-channel scale (`gamma`, timm's `LayerScale`). */
export class LayerScale extends nn.Module {
  readonly gamma: Tensor;

  constructor(
    readonly dim: number,
    readonly initValues = 1e-5,
  ) {
    super();
    this.gamma = this.registerParameter('gamma', torch.ones([dim]).mul_({ float: initValues }));
  }

  forward(x: Tensor): Tensor {
    return x.mul(this.gamma);
  }
}

/** fc1 → GELU → dropout → fc2 → dropout (timm's `Mlp`). */
export class Mlp extends nn.Module {
  readonly fc1: nn.Linear;
  readonly act: nn.GELU;
  readonly drop1: nn.Dropout;
  readonly fc2: nn.Linear;
  readonly drop2: nn.Dropout;

  constructor(inFeatures: number, hiddenFeatures: number, drop = 0) {
    super();
    this.fc1 = this.registerModule('fc1', new nn.Linear(inFeatures, hiddenFeatures));
    this.act = this.registerModule('act', new nn.GELU());
    this.drop1 = this.registerModule('drop1', new nn.Dropout(drop));
    this.fc2 = this.registerModule('fc2', new nn.Linear(hiddenFeatures, inFeatures));
    this.drop2 = this.registerModule('drop2', new nn.Dropout(drop));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.drop2.forward(this.fc2.forward(this.drop1.forward(this.act.forward(this.fc1.forward(x))))));
  }
}

/** Multi-head self-attention over `(N, L, C)` with one fused `qkv` projection (timm's `Attention`). */
export class Attention extends nn.Module {
  readonly qkv: nn.Linear;
  readonly proj: nn.Linear;
  readonly projDrop: nn.Dropout;
  readonly headDim: number;
  readonly attnDrop: number;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    o: { qkvBias?: boolean; attnDrop?: number; projDrop?: number } = {},
  ) {
    super();
    if (dim % numHeads !== 0) throw new RangeError(`Attention: dim ${dim} must be divisible by num_heads ${numHeads}`);
    this.headDim = dim / numHeads;
    this.attnDrop = o.attnDrop ?? 0;
    this.qkv = this.registerModule('qkv', new nn.Linear(dim, dim * 3, { bias: o.qkvBias ?? true }));
    this.proj = this.registerModule('proj', new nn.Linear(dim, dim));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(o.projDrop ?? 0));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, l, c] = x.shape;
      const [q, k, v] = this.qkv.forward(x).reshape(n, l, 3, this.numHeads, this.headDim).permute(2, 0, 3, 1, 4).unbind(0);
      const o = F.scaledDotProductAttention(q, k, v, { dropoutP: this.training ? this.attnDrop : 0 });
      return this.projDrop.forward(this.proj.forward(o.transpose(1, 2).reshape(n, l, c)));
    });
  }
}

export interface BlockOptions {
  mlpRatio?: number;
  qkvBias?: boolean;
  /** Layer-scale init value; `null` for no layer scale (no `ls1`/`ls2` keys). */
  layerScaleInit?: number | null;
  dropPath?: number;
  drop?: number;
  attnDrop?: number;
  normEps?: number;
}

/** Pre-norm transformer block: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))) (timm's `Block`). */
export class Block extends nn.Module {
  readonly norm1: nn.LayerNorm;
  readonly attn: Attention;
  readonly ls1: LayerScale | null;
  readonly dropPath1: nn.DropPath;
  readonly norm2: nn.LayerNorm;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  readonly dropPath2: nn.DropPath;

  constructor(dim: number, numHeads: number, o: BlockOptions = {}) {
    super();
    const eps = o.normEps ?? 1e-6;
    const ls = o.layerScaleInit ?? null;
    this.norm1 = this.registerModule('norm1', new nn.LayerNorm(dim, { eps }));
    this.attn = this.registerModule(
      'attn',
      new Attention(dim, numHeads, { qkvBias: o.qkvBias, attnDrop: o.attnDrop, projDrop: o.drop }),
    );
    this.ls1 = ls === null ? null : this.registerModule('ls1', new LayerScale(dim, ls));
    this.dropPath1 = this.registerModule('drop_path1', new nn.DropPath(o.dropPath ?? 0));
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(dim, { eps }));
    this.mlp = this.registerModule('mlp', new Mlp(dim, Math.round(dim * (o.mlpRatio ?? 4)), o.drop ?? 0));
    this.ls2 = ls === null ? null : this.registerModule('ls2', new LayerScale(dim, ls));
    this.dropPath2 = this.registerModule('drop_path2', new nn.DropPath(o.dropPath ?? 0));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let a = this.attn.forward(this.norm1.forward(x));
      if (this.ls1) a = this.ls1.forward(a);
      const y = x.add(this.dropPath1.forward(a));
      let m = this.mlp.forward(this.norm2.forward(y));
      if (this.ls2) m = this.ls2.forward(m);
      return y.add(this.dropPath2.forward(m));
    });
  }
}

export type ViTArch = 'tiny' | 'small' | 'base' | 'large' | 'huge';

/** Embedding size, depth and heads of the standard sizes (DeiT-Ti/S, ViT-B/L/H). */
export const VIT_ARCHS: Record<ViTArch, { embedDim: number; depth: number; numHeads: number }> = {
  tiny: { embedDim: 192, depth: 12, numHeads: 3 },
  small: { embedDim: 384, depth: 12, numHeads: 6 },
  base: { embedDim: 768, depth: 12, numHeads: 12 },
  large: { embedDim: 1024, depth: 24, numHeads: 16 },
  huge: { embedDim: 1280, depth: 32, numHeads: 16 },
};

/** What `forward` returns per out index (mmpretrain's `out_type`). */
export type ViTOutType = 'clsToken' | 'featmap' | 'avgFeatmap' | 'raw';

/** A size: one number for both sides, or `[height, width]`. */
export const pairSchema = () =>
  z.union([posInt(), z.tuple([posInt(), posInt()])], { error: 'expected a positive integer or [height, width]' });

/** `VisionTransformer` options (everything but `type`). */
export const vitSchema = z.strictObject({
  ...backboneShape,
  /** A named size; `embedDim`/`depth`/`numHeads` override it. Default 'base'. */
  arch: z.enum(['tiny', 'small', 'base', 'large', 'huge']).optional(),
  embedDim: posInt().optional(),
  depth: posInt().optional(),
  numHeads: posInt().optional(),
  /** MLP hidden size / embed dim. Default 4. */
  mlpRatio: posNum().optional(),
  /** The image size the position embedding is made for; other sizes interpolate it. Default 224. */
  imgSize: pairSchema().optional(),
  patchSize: pairSchema().optional(),
  inChannels: posInt().optional(),
  qkvBias: bool().optional(),
  /** Prepend a class token (`cls_token`). Default true. */
  clsToken: bool().optional(),
  /** Learnable (trunc-normal init) or fixed 2-D sine-cosine (MAE, MoCo v3; never trained). Default learnable. */
  posEmbed: z.enum(['learnable', 'sincos']).optional(),
  /** Layer scale init value (timm's `init_values`); null/undefined for none. */
  layerScaleInit: posNum().nullable().optional(),
  /** Dropout after the position embedding, in attention output projections and MLPs. */
  dropRate: prob().optional(),
  attnDropRate: prob().optional(),
  /** Stochastic depth: block i drops with rate i/(depth−1)·dropPathRate (timm's decay rule). */
  dropPathRate: prob().optional(),
  normEps: posNum().optional(),
  /** LayerNorm after the last block (`norm`). Default true. */
  finalNorm: bool().optional(),
  /** Default 'clsToken' (mmpretrain's default); 'avgFeatmap' averages patch tokens (no extra norm). */
  outType: z.enum(['clsToken', 'featmap', 'avgFeatmap', 'raw']).optional(),
  /** A learnable `mask_token` for mask-token input (SimMIM, BEiT, MaskFeat). Default false. */
  maskToken: bool().optional(),
  /** Default ratio of `forwardMasked` (MAE: 0.75). */
  maskRatio: prob().optional(),
  /** How position embeddings are resized to another grid. */
  interpolateMode: z.enum(['bicubic', 'bilinear', 'nearest']).optional(),
  antialias: bool().optional(),
  /**
   * 'timm': trunc-normal(0.02) linears and patch embedding (as a linear), cls token N(0, 1e-6);
   * 'mae': Xavier-uniform linears and patch embedding (as a linear), cls/mask token N(0, 0.02).
   * Both: zero biases, LayerNorm 1/0, trunc-normal(0.02) learnable position embedding and mask token
   * ('timm'), sine-cosine when fixed.
   */
  init: z.enum(['timm', 'mae']).optional(),
});

export type ViTOptions = z.input<typeof vitSchema>;

/** MAE's masking result: encoded visible tokens, the mask and the inverse permutation. */
export interface MaskedOutput {
  /** `(N, prefix + keep, C)`: the class token (if any) then the kept patches, after the final norm. */
  latent: Tensor;
  /** `(N, L)` float: 0 keep, 1 removed, in the original patch order. */
  mask: Tensor;
  /** `(N, L)` int64: gathering the shuffled sequence with it restores patch order. */
  idsRestore: Tensor;
}

export class VisionTransformer extends Backbone {
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  readonly numFeatures: number;
  readonly stageChannels: number[];
  readonly numPrefixTokens: number;
  readonly outIndices: number[];
  readonly outType: ViTOutType;
  readonly frozenStages: number;
  readonly normEval: boolean;
  readonly maskRatio: number;
  readonly posEmbedKind: 'learnable' | 'sincos';

  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Tensor | null;
  readonly posEmbed: Tensor;
  readonly maskToken: Tensor | null;
  readonly posDrop: nn.Dropout;
  readonly blocks: nn.ModuleList<Block>;
  readonly norm: nn.LayerNorm | null;

  constructor(readonly o: ViTOptions = {}) {
    super();
    const arch = VIT_ARCHS[o.arch ?? 'base'];
    if (!arch) throw new RangeError(`VisionTransformer: unknown arch '${o.arch}' (${Object.keys(VIT_ARCHS).join(', ')})`);
    this.embedDim = o.embedDim ?? arch.embedDim;
    this.depth = o.depth ?? arch.depth;
    this.numHeads = o.numHeads ?? arch.numHeads;
    this.numFeatures = this.embedDim;
    this.stageChannels = new Array<number>(this.depth).fill(this.embedDim);
    this.outIndices = resolveOutIndices(o.outIndices ?? [-1], this.depth, 'VisionTransformer');
    this.outType = o.outType ?? 'clsToken';
    this.frozenStages = o.frozenStages ?? -1;
    this.normEval = o.normEval ?? false;
    this.maskRatio = o.maskRatio ?? 0.75;
    this.posEmbedKind = o.posEmbed ?? 'learnable';
    if (this.frozenStages > this.depth)
      throw new RangeError(`VisionTransformer: frozenStages ${this.frozenStages} exceeds depth ${this.depth}`);
    const withCls = o.clsToken ?? true;
    if (this.outType === 'clsToken' && !withCls)
      throw new TypeError("VisionTransformer: outType 'clsToken' needs clsToken: true");
    this.numPrefixTokens = withCls ? 1 : 0;

    this.patchEmbed = this.registerModule(
      'patch_embed',
      new PatchEmbed(o.imgSize ?? 224, o.patchSize ?? 16, this.embedDim, { inChannels: o.inChannels ?? 3 }),
    );
    const [gh, gw] = this.patchEmbed.gridSize;
    this.clsToken = this.registerParameter('cls_token', withCls ? torch.zeros([1, 1, this.embedDim]) : null);
    this.posEmbed = this.registerParameter(
      'pos_embed',
      torch.zeros([1, this.numPrefixTokens + gh * gw, this.embedDim]),
      this.posEmbedKind === 'learnable',
    );
    this.maskToken = this.registerParameter('mask_token', o.maskToken ? torch.zeros([1, 1, this.embedDim]) : null);
    this.posDrop = this.registerModule('pos_drop', new nn.Dropout(o.dropRate ?? 0));
    const dpr = o.dropPathRate ?? 0;
    const blocks: Block[] = [];
    for (let i = 0; i < this.depth; i++) {
      blocks.push(
        new Block(this.embedDim, this.numHeads, {
          mlpRatio: o.mlpRatio,
          qkvBias: o.qkvBias ?? true,
          layerScaleInit: o.layerScaleInit ?? null,
          dropPath: this.depth > 1 ? (dpr * i) / (this.depth - 1) : 0,
          drop: o.dropRate ?? 0,
          attnDrop: o.attnDropRate ?? 0,
          normEps: o.normEps ?? 1e-6,
        }),
      );
    }
    this.blocks = this.registerModule('blocks', new nn.ModuleList(blocks));
    this.norm =
      (o.finalNorm ?? true) ? this.registerModule('norm', new nn.LayerNorm(this.embedDim, { eps: o.normEps ?? 1e-6 })) : null;

    this.initWeights();
    this.applyFreezing();
  }

  /** Patch grid of the image size the position embedding was made for. */
  get gridSize(): [number, number] {
    return this.patchEmbed.gridSize;
  }

  initWeights(): void {
    const mae = this.o.init === 'mae';
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const m of this.modules()) {
          if (m instanceof nn.Linear) {
            if (mae) init.xavierUniform_(m.weight);
            else init.truncNormal_(m.weight, { std: 0.02 });
            m.bias?.zero_();
          } else if (m instanceof nn.LayerNorm) {
            m.weight?.fill_(1);
            m.bias?.zero_();
          } else if (m instanceof LayerScale) {
            m.gamma.fill_({ float: m.initValues });
          }
        }
        // The patch projection is a linear map of flattened patches: initialise it as one.
        const w = this.patchEmbed.proj.weight;
        const flat = w.view(w.shape[0], -1);
        if (mae) init.xavierUniform_(flat);
        else init.truncNormal_(flat, { std: 0.02 });
        this.patchEmbed.proj.bias?.zero_();
        if (this.clsToken) init.normal_(this.clsToken, 0, mae ? 0.02 : 1e-6);
        if (this.maskToken) {
          if (mae) init.normal_(this.maskToken, 0, 0.02);
          else init.truncNormal_(this.maskToken, { std: 0.02 });
        }
        if (this.posEmbedKind === 'sincos') {
          this.posEmbed.copy_(sincos2dPosEmbed(this.embedDim, this.gridSize, { numPrefixTokens: this.numPrefixTokens }));
        } else {
          init.truncNormal_(this.posEmbed, { std: 0.02 });
        }
      }),
    );
  }

  protected applyFreezing(): void {
    const k = this.frozenStages;
    if (k >= 0) {
      this.patchEmbed.eval().requiresGrad_(false);
      this.posDrop.eval();
      for (const t of [this.clsToken, this.posEmbed, this.maskToken]) t?.requiresGrad_(false);
      for (let i = 0; i < k; i++) this.blocks.at(i).eval().requiresGrad_(false);
      if (k === this.depth && this.norm) this.norm.eval().requiresGrad_(false);
    }
    if (this.normEval && this.training) {
      for (const m of this.modules()) if (m instanceof nn.LayerNorm || m instanceof nn.BatchNorm2d) m.eval();
    }
  }

  /** The position embedding for a `gh × gw` grid (the parameter itself, or a resized copy). */
  posEmbedFor(hw: [number, number]): Tensor {
    return resizePosEmbed(this.posEmbed, this.gridSize, hw, {
      numPrefixTokens: this.numPrefixTokens,
      mode: this.o.interpolateMode ?? 'bicubic',
      antialias: this.o.antialias ?? false,
    });
  }

  /**
   * Token embedding before the blocks: patches (masked ones replaced by `mask_token` when `mask`
   * `(N, h, w)` or `(N, L)` is given; 1/true = masked), class token, plus position embedding.
   */
  embed(x: Tensor, mask?: Tensor | null): { tokens: Tensor; hw: [number, number] } {
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      let t = patches;
      const [n, l] = t.shape;
      if (mask) {
        if (!this.maskToken)
          throw new TypeError('VisionTransformer: a mask was given but the model has no mask token (maskToken: true)');
        if (mask.numel() !== n * l)
          throw new RangeError(
            `VisionTransformer: mask of shape [${mask.shape}] does not match ${n} images of ${hw[0]}x${hw[1]} patches`,
          );
        const w = mask.reshape(n, l, 1).to(t.dtype);
        t = t.mul(w.rsub(1)).add(this.maskToken.mul(w));
      }
      if (this.clsToken) t = torch.cat([this.clsToken.expand(n, -1, -1), t], 1);
      return { tokens: this.posDrop.forward(t.add(this.posEmbedFor(hw))), hw };
    });
  }

  private format(t: Tensor, hw: [number, number]): Tensor {
    const p = this.numPrefixTokens;
    switch (this.outType) {
      case 'raw':
        return t;
      case 'clsToken':
        return t.select(1, 0);
      case 'featmap':
        return t.slice(1, p).reshape(t.shape[0], hw[0], hw[1], this.embedDim).permute(0, 3, 1, 2).contiguous();
      case 'avgFeatmap':
        return t.slice(1, p).mean(1);
    }
  }

  /**
   * Outputs of the blocks in `outIndices` (the last one after the final norm), each shaped by
   * `outType`. With `mask`, masked patches enter as the mask token (needs `maskToken: true`).
   */
  override forward(x: Tensor, mask?: Tensor | null): Tensor[] {
    return torch.tidy(() => {
      const { tokens, hw } = this.embed(x, mask);
      let t = tokens;
      const outs: Tensor[] = [];
      for (let i = 0; i < this.depth; i++) {
        t = this.blocks.at(i).forward(t);
        if (i === this.depth - 1 && this.norm) t = this.norm.forward(t);
        if (this.outIndices.includes(i)) outs.push(this.format(t, hw));
      }
      return outs;
    });
  }

  /** All tokens `(N, prefix + L, C)` after the last block and the final norm. */
  forwardFeatures(x: Tensor, mask?: Tensor | null): Tensor {
    return torch.tidy(() => {
      let t = this.embed(x, mask).tokens;
      for (const b of this.blocks) t = b.forward(t);
      return this.norm ? this.norm.forward(t) : t;
    });
  }

  /**
   * MAE (He et al. 2021): per-sample uniform noise, argsort, keep the first ⌊L·(1−ratio)⌋ patches
   * (position embedding added before shuffling), prepend the class token and encode only those.
   * Draws `rand(N, L)` from the default generator, so `torch.manualSeed` makes it repeatable.
   */
  forwardMasked(x: Tensor, maskRatio = this.maskRatio): MaskedOutput {
    if (!(maskRatio >= 0 && maskRatio < 1)) throw new RangeError(`forwardMasked: mask ratio must be in [0, 1), got ${maskRatio}`);
    return torch.tidy(() => {
      const { tokens: patches, hw } = this.patchEmbed.forward(x);
      const pos = this.posEmbedFor(hw);
      const p = this.numPrefixTokens;
      const t = patches.add(pos.slice(1, p));
      const [n, l, d] = t.shape;
      // MAE's int(L·(1−r)), with a tolerance so that 0.9 of 100 keeps 10 rather than 9.
      const keep = Math.floor(l * (1 - maskRatio) + 1e-6);
      const noise = torch.rand([n, l], { device: x.device });
      const idsShuffle = noise.argsort({ dim: 1 });
      const idsRestore = idsShuffle.argsort({ dim: 1 });
      const idsKeep = idsShuffle.slice(1, 0, keep);
      const visible = t.gather(1, idsKeep.unsqueeze(-1).expand(n, keep, d));
      const sorted = torch.ones([n, l], { device: x.device });
      sorted.slice(1, 0, keep).zero_();
      const mask = sorted.gather(1, idsRestore);
      let h = visible;
      if (this.clsToken) h = torch.cat([this.clsToken.add(pos.slice(1, 0, p)).expand(n, -1, -1), visible], 1);
      return { latent: this.encodeVisible(h), mask, idsRestore };
    });
  }

  /** `forwardMasked`'s encoder over the visible tokens `(N, prefix + keep, C)`: the blocks, then the final norm. */
  protected encodeVisible(h: Tensor): Tensor {
    let t = h;
    for (const b of this.blocks) t = b.forward(t);
    return this.norm ? this.norm.forward(t) : t;
  }

  /** MMSelfSup / mmcls / mmpretrain keys (`layers.0.ln1.*`, …) and timm classifiers (`head.*`) map to ours. */
  override adaptStateDict<T>(sd: Record<string, T>): Record<string, T> {
    const keys = Object.keys(sd);
    if (keys.some((k) => /^layers\.\d+\./.test(k) || k.startsWith('patch_embed.projection.'))) return convertMMClsViTKeys(sd);
    if (keys.some((k) => k.startsWith('head.'))) return convertTimmViTKeys(sd);
    return sd;
  }

  /**
   * Loads a state dict with timm's keys (see `convertMMClsViTKeys` for MMSelfSup/mmcls ones). A
   * `pos_embed` made for another (square) grid is resized to this model's grid first, and a class-token
   * row is dropped when this model has no class token.
   */
  override loadStateDict(sd: Record<string, unknown>, opts: { strict?: boolean } = {}): nn.LoadStateDictResult {
    const pe = sd.pos_embed;
    if (!(pe instanceof Tensor) || pe.dim() !== 3 || pe.shape[1] === this.posEmbed.shape[1]) return super.loadStateDict(sd, opts);
    let src = pe;
    const owned: Tensor[] = [];
    let tokens = pe.shape[1];
    if (this.numPrefixTokens === 0 && Number.isInteger(Math.sqrt(tokens - 1)) && !Number.isInteger(Math.sqrt(tokens))) {
      src = pe.slice(1, 1);
      owned.push(src);
      tokens -= 1;
    }
    const side = Math.round(Math.sqrt(tokens - this.numPrefixTokens));
    if (side * side !== tokens - this.numPrefixTokens) return super.loadStateDict(sd, opts); // reported as a size mismatch
    const resized = torch.noGrad(() =>
      resizePosEmbed(src, [side, side], this.gridSize, {
        numPrefixTokens: this.numPrefixTokens,
        mode: this.o.interpolateMode ?? 'bicubic',
        antialias: this.o.antialias ?? false,
      }),
    );
    if (resized !== src) owned.push(resized);
    try {
      return super.loadStateDict({ ...sd, pos_embed: resized }, opts);
    } finally {
      for (const t of owned) t.dispose();
    }
  }
}

/**
 * MMSelfSup / mmcls / mmpretrain ViT names → ours (timm's). Read backwards, the first rule naming
 * one of ours gives mmpretrain's spelling (`attn.gamma1.weight`, not BEiT's `gamma_1`).
 */
export const MMCLS_VIT_KEYS: readonly KeyRule[] = [
  ['patch_embed.projection.', 'patch_embed.proj.'],
  ['layers.{i}.ln1.', 'blocks.{i}.norm1.'],
  ['layers.{i}.ln2.', 'blocks.{i}.norm2.'],
  ['layers.{i}.attn.gamma1.weight', 'blocks.{i}.ls1.gamma'],
  ['layers.{i}.ffn.gamma2.weight', 'blocks.{i}.ls2.gamma'],
  ['layers.{i}.gamma_1', 'blocks.{i}.ls1.gamma'],
  ['layers.{i}.gamma_2', 'blocks.{i}.ls2.gamma'],
  ['layers.{i}.ffn.layers.0.0.', 'blocks.{i}.mlp.fc1.'],
  ['layers.{i}.ffn.layers.1.', 'blocks.{i}.mlp.fc2.'],
  ['layers.{i}.attn.', 'blocks.{i}.attn.'],
  ['ln1.', 'norm.'],
  ['pre_norm.', 'norm_pre.'],
  ['ln2.', 'fc_norm.'],
];

/**
 * Maps MMSelfSup / mmcls ViT keys to ours (timm's): `layers.0.ln1.weight` → `blocks.0.norm1.weight`,
 * `layers.0.ffn.layers.0.0.weight` → `blocks.0.mlp.fc1.weight`, `layers.0.ffn.layers.1.*` → `mlp.fc2`,
 * layer scale `attn.gamma1.weight`/`ffn.gamma2.weight` (or BEiT's `gamma_1`/`gamma_2`) → `ls1/ls2.gamma`,
 * `ln1.*` → `norm.*`, `patch_embed.projection.*` → `patch_embed.proj.*`. When any key starts with
 * `backbone.`, only those keys are kept, without the prefix (an algorithm checkpoint's backbone).
 * Other keys pass through unchanged (a strict load then names them).
 */
export function convertMMClsViTKeys<T>(sd: Record<string, T>): Record<string, T> {
  let entries = Object.entries(sd);
  if (entries.some(([k]) => k.startsWith('backbone.'))) {
    entries = entries.filter(([k]) => k.startsWith('backbone.')).map(([k, v]) => [k.slice('backbone.'.length), v]);
  }
  const out: Record<string, T> = {};
  for (const [k, v] of entries) out[renameKey(k, MMCLS_VIT_KEYS) ?? k] = v;
  return out;
}

/** Drops a timm checkpoint's classifier (`head.*`) and unwraps `module.` prefixes, leaving backbone keys. */
export function convertTimmViTKeys<T>(sd: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(sd)) {
    const key = k.startsWith('module.') ? k.slice('module.'.length) : k;
    if (key.startsWith('head.')) continue;
    out[key] = v;
  }
  return out;
}

/** `VisionTransformer`: any size (`arch` or `embedDim`/`depth`/`numHeads`). */
export const vitPart = definePart({
  registry: BACKBONES,
  name: 'VisionTransformer',
  schema: vitSchema,
  description: "Vision Transformer (timm's keys): any size, learnable or sine-cosine position embedding",
  build: (o) => new VisionTransformer(o),
});

/** `vit-tiny|small|base|large`: the named sizes (any `patchSize`/`imgSize`). */
export const vitArchParts = (['tiny', 'small', 'base', 'large'] as const).map((arch) =>
  definePart({
    registry: BACKBONES,
    name: `vit-${arch}`,
    schema: vitSchema.omit({ arch: true }),
    description: `ViT-${arch[0].toUpperCase()}`,
    build: (o) => new VisionTransformer({ ...o, arch }),
  }),
);

/** `MAEViT`: fixed sine-cosine position embedding and MAE's initialisation (He et al. 2022). */
export const maeVitPart = definePart({
  registry: BACKBONES,
  name: 'MAEViT',
  schema: vitSchema,
  description: "MAE's ViT: fixed sine-cosine position embedding, Xavier init",
  build: (o) => new VisionTransformer({ posEmbed: 'sincos', init: 'mae', ...o }),
});

/**
 * `SimMIMViT`: the ViT of SimMIM's ViT-B/16 recipe (Xie et al. 2022; microsoft/SimMIM's
 * `VisionTransformerForSimMIM`): masked patch embeddings replaced by a learnable `mask_token`, a class
 * token prepended and dropped at the output, which is the `(N, C, h, w)` map of the patch tokens
 * (`outType: 'featmap'`, what `SimMIMLinearDecoder` decodes at stride = patch size), layer scale 0.1
 * and stochastic depth 0.1, with the paper's absolute learnable position embedding (its `USE_APE`
 * variant) rather than its shared relative position bias.
 */
export const simmimVitPart = definePart({
  registry: BACKBONES,
  name: 'SimMIMViT',
  schema: vitSchema,
  description: "SimMIM's ViT: mask token, patch tokens out as a (N, C, h, w) map, layer scale 0.1",
  build: (o) => new VisionTransformer({ maskToken: true, outType: 'featmap', layerScaleInit: 0.1, dropPathRate: 0.1, ...o }),
});
