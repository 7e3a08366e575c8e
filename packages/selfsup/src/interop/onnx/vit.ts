/**
 * ONNX graph of selfsup's `VisionTransformer` (Dosovitskiy et al. 2021) in eval mode, following
 * its `forward`: patch-embedding conv (zero padding at the bottom/right for sizes that are not a
 * multiple of the patch) → `(N, L, D)` tokens, class token prepended, position embedding (resized
 * at export time for the exported input size, exactly as `posEmbedFor` resizes it) added; pre-norm
 * blocks x + ls1(attn(norm1(x))), x + ls2(mlp(norm2(x))) with multi-head softmax(q·kᵀ/√d)·v
 * attention; the final norm after the last block; the output shaped by `outType`.
 */
import * as torch from '@selfsup/torch';
import type { nn } from '@selfsup/torch';
import type { PatchEmbed } from '../../models/backbones/patch-embed.js';
import { Attention, Block, Mlp, type ViTOutType, VisionTransformer } from '../../models/backbones/vit.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitLinear, emitModule, UnsupportedModuleError } from './modules.js';

/** Whether `m` runs VisionTransformer's own token path (subclasses that override it are other networks). */
export function isPlainViT(m: object): m is VisionTransformer {
  const p = VisionTransformer.prototype;
  return m instanceof VisionTransformer && m.forward === p.forward && m.embed === p.embed && m.posEmbedFor === p.posEmbedFor;
}

/** The parts of a multi-head attention module the emitter reads (`Attention`, BEiT's `BEiTAttention`). */
export interface AttentionParts {
  qkv: nn.Linear;
  proj: nn.Linear;
  projDrop: nn.AnyModule;
  numHeads: number;
  headDim: number;
  dim: number;
}

/**
 * softmax(q·kᵀ/√d (+ `attnBias`)) · v over `(N, L, C)` tokens, then the output projection.
 * `qkvBias` (3C) is added to the qkv projection (BEiT's q/v biases); `attnBias` `(H, L, L)` to the
 * scaled logits (a relative position bias), broadcast over the batch. With `biasWindows` (nW
 * windows of L tokens) the bias is `(nW, H, L, L)` and the batch is images × nW windows (Swin's
 * shifted-window mask): the logits are viewed as `(N / nW, nW, H, L, L)` for the addition.
 */
export function emitAttention(
  g: GraphBuilder,
  a: AttentionParts,
  x: string,
  path: string,
  extra: { qkvBias?: string; attnBias?: string; biasWindows?: { count: number; tokens: number } } = {},
): string {
  const { numHeads: h, headDim: d, dim: c } = a;
  let qkv = emitLinear(g, a.qkv, x, `${path}.qkv`);
  if (extra.qkvBias) qkv = g.op1('Add', [qkv, extra.qkvBias], {}, `${path}.qkv_bias`);
  // (N, L, 3C) → (N, L, 3, H, d) → (3, N, H, L, d); 0 copies N and L from the input (any batch, any length).
  const r = g.op1('Reshape', [qkv, g.ints(`${path}.qkv_shape`, [0, 0, 3, h, d])], {}, `${path}.qkv_heads`);
  const t = g.op1('Transpose', [r], { perm: [2, 0, 3, 1, 4] }, `${path}.qkv_t`);
  const pick = (i: number, name: string) =>
    g.op1('Gather', [t, g.ints(`${path}.${name}_idx`, [i], [])], { axis: 0 }, `${path}.${name}`);
  const q = pick(0, 'q');
  const k = pick(1, 'k');
  const v = pick(2, 'v');
  const kt = g.op1('Transpose', [k], { perm: [0, 1, 3, 2] }, `${path}.kT`);
  const logits = g.op1('MatMul', [q, kt], {}, `${path}.qk`);
  let scaled = g.op1('Mul', [logits, g.floats(`${path}.scale`, [1 / Math.sqrt(d)], [])], {}, `${path}.qk_scaled`);
  if (extra.attnBias && extra.biasWindows) {
    const { count, tokens: l } = extra.biasWindows;
    const grouped = g.op1('Reshape', [scaled, g.ints(`${path}.win_shape`, [-1, count, h, l, l])], {}, `${path}.qk_windows`);
    const biased = g.op1('Add', [grouped, extra.attnBias], {}, `${path}.qk_biased`);
    scaled = g.op1('Reshape', [biased, g.ints(`${path}.qk_shape`, [-1, h, l, l])], {}, `${path}.qk_flat`);
  } else if (extra.attnBias) scaled = g.op1('Add', [scaled, extra.attnBias], {}, `${path}.qk_biased`);
  const attn = g.op1('Softmax', [scaled], { axis: -1 }, `${path}.softmax`);
  const o = g.op1('MatMul', [attn, v], {}, `${path}.av`);
  const merged = g.op1(
    'Reshape',
    [g.op1('Transpose', [o], { perm: [0, 2, 1, 3] }, `${path}.av_t`), g.ints(`${path}.out_shape`, [0, 0, c])],
    {},
    `${path}.merge`,
  );
  return emitModule(g, a.projDrop, emitLinear(g, a.proj, merged, `${path}.proj`), `${path}.proj_drop`);
}

export function emitMlp(g: GraphBuilder, m: Mlp, x: string, path: string): string {
  let h = emitModule(g, m.fc1, x, `${path}.fc1`);
  h = emitModule(g, m.act, h, `${path}.act`);
  h = emitModule(g, m.drop1, h, `${path}.drop1`);
  h = emitModule(g, m.fc2, h, `${path}.fc2`);
  return emitModule(g, m.drop2, h, `${path}.drop2`);
}

function emitBlock(g: GraphBuilder, b: Block, x: string, path: string): string {
  if (b.attn.constructor !== Attention) throw new UnsupportedModuleError(`${path}.attn`, b.attn.constructor.name);
  if (b.mlp.constructor !== Mlp) throw new UnsupportedModuleError(`${path}.mlp`, b.mlp.constructor.name);
  let a = emitAttention(g, b.attn, emitModule(g, b.norm1, x, `${path}.norm1`), `${path}.attn`);
  if (b.ls1) a = emitModule(g, b.ls1, a, `${path}.ls1`);
  a = emitModule(g, b.dropPath1, a, `${path}.drop_path1`);
  const y = g.op1('Add', [x, a], {}, `${path}.add1`);
  let m = emitMlp(g, b.mlp, emitModule(g, b.norm2, y, `${path}.norm2`), `${path}.mlp`);
  if (b.ls2) m = emitModule(g, b.ls2, m, `${path}.ls2`);
  m = emitModule(g, b.dropPath2, m, `${path}.drop_path2`);
  return g.op1('Add', [y, m], {}, `${path}.add2`);
}

/** Tokens `(N, L, D)` → the patch tokens `(N, L − prefix, D)`. */
function patchTokens(g: GraphBuilder, t: string, prefix: number, path: string): string {
  if (prefix === 0) return t;
  const big = Number.MAX_SAFE_INTEGER;
  return g.op1(
    'Slice',
    [t, g.ints(`${path}.starts`, [prefix]), g.ints(`${path}.ends`, [big]), g.ints(`${path}.axes`, [1])],
    {},
    `${path}.patches`,
  );
}

/**
 * The patch embedding of images `(N, C, H, W)` of `inputSize`: zero padding at the bottom/right
 * for sizes that are not a multiple of the patch, the conv, tokens `(N, h·w, D)`, its norm if any.
 */
export function emitPatchEmbed(
  g: GraphBuilder,
  pe: PatchEmbed,
  x: string,
  inputSize: [number, number],
  path: string,
): { tokens: string; hw: [number, number] } {
  const hw = pe.grid(inputSize[0], inputSize[1]);
  const padB = hw[0] * pe.patchSize[0] - inputSize[0];
  const padR = hw[1] * pe.patchSize[1] - inputSize[1];
  let img = x;
  if (padB || padR) img = g.op1('Pad', [x, g.ints(`${path}.pads`, [0, 0, 0, 0, 0, 0, padB, padR])], {}, `${path}.pad`);
  const conv = emitModule(g, pe.proj, img, `${path}.proj`);
  const flat = g.op1('Reshape', [conv, g.ints(`${path}.flat_shape`, [0, 0, -1])], {}, `${path}.flatten`);
  let t = g.op1('Transpose', [flat], { perm: [0, 2, 1] }, `${path}.tokens`);
  if (pe.norm) t = emitLayerNorm(g, pe.norm, t, `${path}.norm`);
  return { tokens: t, hw };
}

/**
 * `tokens + pos` with `pos` the position table a backbone computed for the exported grid (the
 * `param` itself, or a resized copy of it, which is disposed once stored as a constant); null
 * (no absolute embedding) leaves the tokens as they are.
 */
export function emitAddPositions(
  g: GraphBuilder,
  tokens: string,
  pos: torch.Tensor | null,
  param: torch.Tensor | null,
  name: string,
  path: string,
): string {
  if (!pos) return tokens;
  try {
    return g.op1('Add', [tokens, g.weight(`${path}.${name}`, pos)], {}, `${path}.pos`);
  } finally {
    if (pos !== param) pos.dispose();
  }
}

/** `token` `(1, 1, D)` expanded to the batch of `tokens` `(N, L, D)` and prepended to them. */
export function emitPrependToken(g: GraphBuilder, tokens: string, token: string, d: number, path: string): string {
  // Shape [N, 1, D] with N read from the tokens at run time.
  const shape = g.op1('Shape', [tokens], {}, `${path}.tokens_shape`);
  const n = g.op1('Slice', [shape, g.ints(`${path}.n_start`, [0]), g.ints(`${path}.n_end`, [1])], {}, `${path}.batch`);
  const clsShape = g.op1('Concat', [n, g.ints(`${path}.cls_tail`, [1, d])], { axis: 0 }, `${path}.cls_shape`);
  const cls = g.op1('Expand', [token, clsShape], {}, `${path}.cls`);
  return g.op1('Concat', [cls, tokens], { axis: 1 }, `${path}.with_cls`);
}

/**
 * Tokens `(N, prefix + h·w, D)` shaped by a ViT `outType`: `clsToken`/`avgFeatmap` give `(N, D)`,
 * `featmap` `(N, D, h, w)`, `raw` the tokens; returns the value name and its rank.
 */
export function emitTokensOut(
  g: GraphBuilder,
  t: string,
  outType: ViTOutType,
  prefix: number,
  hw: [number, number],
  d: number,
  path: string,
): { value: string; rank: number } {
  switch (outType) {
    case 'raw':
      return { value: t, rank: 3 };
    case 'clsToken':
      return { value: g.op1('Gather', [t, g.ints(`${path}.cls_idx`, [0], [])], { axis: 1 }, `${path}.cls_out`), rank: 2 };
    case 'avgFeatmap':
      return { value: g.reduceMean(patchTokens(g, t, prefix, path), [1], `${path}.avg`), rank: 2 };
    case 'featmap': {
      const p = patchTokens(g, t, prefix, path);
      const grid = g.op1('Reshape', [p, g.ints(`${path}.grid_shape`, [0, hw[0], hw[1], d])], {}, `${path}.grid`);
      return { value: g.op1('Transpose', [grid], { perm: [0, 3, 1, 2] }, `${path}.featmap`), rank: 4 };
    }
  }
}

/**
 * Emits `backbone.forward(x)[outIndex]` for images of `inputSize` `[H, W]` and returns its value
 * name and rank (`emitTokensOut`).
 */
export function emitViT(
  g: GraphBuilder,
  vit: VisionTransformer,
  x: string,
  inputSize: [number, number],
  outIndex: number,
  path = 'backbone',
): { value: string; rank: number } {
  const { tokens, hw } = emitPatchEmbed(g, vit.patchEmbed, x, inputSize, `${path}.patch_embed`);
  const d = vit.embedDim;
  let t = tokens;
  if (vit.clsToken) t = emitPrependToken(g, t, g.weight(`${path}.cls_token`, vit.clsToken), d, path);
  t = emitAddPositions(
    g,
    t,
    torch.noGrad(() => vit.posEmbedFor(hw)),
    vit.posEmbed,
    'pos_embed',
    path,
  );
  t = emitModule(g, vit.posDrop, t, `${path}.pos_drop`);
  const blockIdx = vit.outIndices[outIndex];
  for (let i = 0; i <= blockIdx; i++) {
    const b = vit.blocks.at(i);
    const p = `${path}.blocks.${i}`;
    if (b.constructor !== Block) throw new UnsupportedModuleError(p, b.constructor.name);
    t = emitBlock(g, b, t, p);
    if (i === vit.depth - 1 && vit.norm) t = emitLayerNorm(g, vit.norm, t, `${path}.norm`);
  }
  return emitTokensOut(g, t, vit.outType, vit.numPrefixTokens, hw, d, path);
}

/** `(N, L, D)` tokens pooled as `poolFeatures` does by default: the class token, else the mean patch token. */
export function poolTokens(g: GraphBuilder, t: string, prefix: number, path: string): string {
  if (prefix > 0) return g.op1('Gather', [t, g.ints(`${path}.cls_idx`, [0], [])], { axis: 1 }, `${path}.cls_pool`);
  return g.reduceMean(patchTokens(g, t, prefix, path), [1], `${path}.avg_pool`);
}
