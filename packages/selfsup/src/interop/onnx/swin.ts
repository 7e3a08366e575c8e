/**
 * ONNX graph of selfsup's `SwinTransformer` (Liu et al. 2021, "Swin Transformer: Hierarchical
 * Vision Transformer using Shifted Windows") in eval mode, following its `forward` for one input
 * size: patch embedding (+ its LayerNorm, + the absolute embedding if any, resized at export
 * time as `forward` resizes it), then per stage its blocks x + W-MSA(norm1(x)), x + FFN(norm2(x))
 * and patch merging, and the out stage's `norm{i}` reshaped to `(N, C_i, h, w)`.
 *
 * Window attention works on `(N, H, W, C)`: zero padding to whole windows at the bottom/right,
 * the cyclic shift as two Slices and a Concat per axis (ONNX has no roll), window partition and
 * reverse as Reshape/Transpose, and the relative position bias (plus, for shifted windows, the
 * −100 region mask) gathered at export time into one constant. Every map size is
 * fixed by the input size, so the graph has a fixed spatial size and any batch.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import {
  FFN,
  PatchMerging,
  ShiftWindowMSA,
  SwinBlock,
  SwinTransformer,
  shiftAttnMask,
  WindowMSA,
} from '../../models/backbones/swin.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitModule, UnsupportedModuleError } from './modules.js';
import { emitAddPositions, emitAttention, emitPatchEmbed } from './vit.js';

/** Whether `m` runs SwinTransformer's own forward (subclasses that override it are other networks). */
export function isPlainSwin(m: object): m is SwinTransformer {
  return m instanceof SwinTransformer && m.forward === SwinTransformer.prototype.forward;
}

/** `x` rolled by `shift` along `axis` of static size `size` (torch.roll): the last `shift` entries move to the front. */
function emitRoll(g: GraphBuilder, x: string, shift: number, axis: number, size: number, path: string): string {
  const s = ((shift % size) + size) % size;
  if (s === 0) return x;
  const slice = (start: number, end: number, name: string) =>
    g.op1(
      'Slice',
      [x, g.ints(`${path}.${name}_start`, [start]), g.ints(`${path}.${name}_end`, [end]), g.ints(`${path}.${name}_axis`, [axis])],
      {},
      `${path}.${name}`,
    );
  return g.op1('Concat', [slice(size - s, size, 'tail'), slice(0, size - s, 'head')], { axis }, path);
}

/**
 * The bias of a window attention on an `hp × wp` padded map: the relative position bias
 * `(H, L, L)`, or with a shift that plus the region mask, `(nW, H, L, L)`.
 */
function windowBias(a: WindowMSA, hp: number, wp: number, shift: number): Tensor {
  return torch.noGrad(() =>
    torch.tidy(() => {
      const ws = a.windowSize;
      const n = ws * ws;
      const rel = a.relativeBias();
      if (shift === 0) return rel.contiguous();
      const nW = (hp / ws) * (wp / ws);
      return rel.unsqueeze(0).add(torch.tensor(shiftAttnMask(hp, wp, ws, shift), { shape: [nW, 1, n, n] }));
    }),
  );
}

/**
 * Window attention `a` over tokens `(N, h·w, C)` of an `h × w` map, its windows cyclically shifted
 * by `shift` (0: not shifted): padding to whole windows, shift, partition, attention with the
 * relative position bias (and the shifted windows' region mask), reverse, shift back, crop.
 * `path` names the attention's nodes and constants.
 */
export function emitWindowAttention(
  g: GraphBuilder,
  a: WindowMSA,
  x: string,
  hw: [number, number],
  c: number,
  shift: number,
  path: string,
): string {
  if (a.constructor !== WindowMSA || a.forward !== WindowMSA.prototype.forward)
    throw new UnsupportedModuleError(path, a.constructor.name);
  const [h, w] = hw;
  const ws = a.windowSize;
  const padR = (ws - (w % ws)) % ws;
  const padB = (ws - (h % ws)) % ws;
  const hp = h + padB;
  const wp = w + padR;
  let q = g.op1('Reshape', [x, g.ints(`${path}.map_shape`, [-1, h, w, c])], {}, `${path}.map`);
  if (padR || padB) q = g.op1('Pad', [q, g.ints(`${path}.pads`, [0, 0, 0, 0, 0, padB, padR, 0])], {}, `${path}.pad`);
  q = emitRoll(g, emitRoll(g, q, -shift, 1, hp, `${path}.shift_h`), -shift, 2, wp, `${path}.shift_w`);
  // Window partition: (N, hp/ws, ws, wp/ws, ws, C) → (N, hp/ws, wp/ws, ws, ws, C) → (N·nW, ws², C).
  const six = g.op1('Reshape', [q, g.ints(`${path}.win6_shape`, [-1, hp / ws, ws, wp / ws, ws, c])], {}, `${path}.win6`);
  const perm = g.op1('Transpose', [six], { perm: [0, 1, 3, 2, 4, 5] }, `${path}.win_perm`);
  const windows = g.op1('Reshape', [perm, g.ints(`${path}.win_shape`, [-1, ws * ws, c])], {}, `${path}.windows`);
  const bias = windowBias(a, hp, wp, shift);
  let attnBias: string;
  try {
    attnBias = g.weight(`${path}.bias`, bias);
  } finally {
    bias.dispose();
  }
  const parts = { qkv: a.qkv, proj: a.proj, projDrop: a.projDrop, numHeads: a.numHeads, headDim: a.headDim, dim: c };
  const biasWindows = shift > 0 ? { count: (hp / ws) * (wp / ws), tokens: ws * ws } : undefined;
  const attended = emitAttention(g, parts, windows, path, { attnBias, biasWindows });
  // Window reverse, then the shift undone and the padding cropped.
  const back6 = g.op1('Reshape', [attended, g.ints(`${path}.rev6_shape`, [-1, hp / ws, wp / ws, ws, ws, c])], {}, `${path}.rev6`);
  const backPerm = g.op1('Transpose', [back6], { perm: [0, 1, 3, 2, 4, 5] }, `${path}.rev_perm`);
  let y = g.op1('Reshape', [backPerm, g.ints(`${path}.rev_shape`, [-1, hp, wp, c])], {}, `${path}.rev`);
  y = emitRoll(g, emitRoll(g, y, shift, 1, hp, `${path}.unshift_h`), shift, 2, wp, `${path}.unshift_w`);
  if (padR || padB)
    y = g.op1(
      'Slice',
      [y, g.ints(`${path}.crop_start`, [0, 0]), g.ints(`${path}.crop_end`, [h, w]), g.ints(`${path}.crop_axes`, [1, 2])],
      {},
      `${path}.crop`,
    );
  return g.op1('Reshape', [y, g.ints(`${path}.tokens_shape`, [-1, h * w, c])], {}, `${path}.tokens`);
}

/** Swin's (shifted) window attention over tokens `(N, h·w, C)` of an `h × w` map. */
function emitShiftWindowMSA(
  g: GraphBuilder,
  m: ShiftWindowMSA,
  x: string,
  hw: [number, number],
  c: number,
  path: string,
): string {
  const tokens = emitWindowAttention(g, m.wMsa, x, hw, c, m.shiftFor(hw), `${path}.w_msa`);
  return emitModule(g, m.drop, tokens, `${path}.drop`);
}

/** mmcv's FFN: `identity + layers(x)` (its dropout layer an identity in eval mode). */
export function emitFFN(g: GraphBuilder, f: FFN, x: string, identity: string, path: string): string {
  if (f.constructor !== FFN || f.forward !== FFN.prototype.forward) throw new UnsupportedModuleError(path, f.constructor.name);
  const h = emitModule(g, f.dropoutLayer, emitModule(g, f.layers, x, `${path}.layers`), `${path}.dropout_layer`);
  return g.op1('Add', [identity, h], {}, `${path}.add`);
}

function emitBlock(g: GraphBuilder, b: SwinBlock, x: string, hw: [number, number], c: number, path: string): string {
  if (b.attn.constructor !== ShiftWindowMSA || b.attn.forward !== ShiftWindowMSA.prototype.forward)
    throw new UnsupportedModuleError(`${path}.attn`, b.attn.constructor.name);
  const a = emitShiftWindowMSA(g, b.attn, emitLayerNorm(g, b.norm1, x, `${path}.norm1`), hw, c, `${path}.attn`);
  const y = g.op1('Add', [x, a], {}, `${path}.add`);
  return emitFFN(g, b.ffn, emitLayerNorm(g, b.norm2, y, `${path}.norm2`), y, `${path}.ffn`);
}

/** mmcv's PatchMerging: each 2×2 neighbourhood in `nn.Unfold` order (channel-major), LayerNorm(4C), a bias-free linear. */
export function emitPatchMerging(
  g: GraphBuilder,
  m: PatchMerging,
  x: string,
  hw: [number, number],
  path: string,
): { tokens: string; hw: [number, number] } {
  if (m.forward !== PatchMerging.prototype.forward) throw new UnsupportedModuleError(path, m.constructor.name);
  const [h, w] = hw;
  const c = m.inChannels;
  const out: [number, number] = [Math.ceil(h / 2), Math.ceil(w / 2)];
  let q = g.op1('Reshape', [x, g.ints(`${path}.map_shape`, [-1, h, w, c])], {}, `${path}.map`);
  if (h % 2 || w % 2) q = g.op1('Pad', [q, g.ints(`${path}.pads`, [0, 0, 0, 0, 0, h % 2, w % 2, 0])], {}, `${path}.pad`);
  // (N, h', 2, w', 2, C) → (N, h', w', C, 2, 2): Unfold's column is c·4 + kh·2 + kw.
  const six = g.op1('Reshape', [q, g.ints(`${path}.six_shape`, [-1, out[0], 2, out[1], 2, c])], {}, `${path}.six`);
  const perm = g.op1('Transpose', [six], { perm: [0, 1, 3, 5, 2, 4] }, `${path}.perm`);
  const cols = g.op1('Reshape', [perm, g.ints(`${path}.cols_shape`, [-1, out[0] * out[1], 4 * c])], {}, `${path}.cols`);
  const normed = emitLayerNorm(g, m.norm, cols, `${path}.norm`);
  return { tokens: emitModule(g, m.reduction, normed, `${path}.reduction`), hw: out };
}

/**
 * Emits `backbone.forward(x)[outIndex]` for images of `inputSize` and returns the value name of
 * the stage map `(N, C_i, h_i, w_i)`.
 */
export function emitSwin(
  g: GraphBuilder,
  swin: SwinTransformer,
  x: string,
  inputSize: [number, number],
  outIndex: number,
  path = 'backbone',
): string {
  const embedded = emitPatchEmbed(g, swin.patchEmbed, x, inputSize, `${path}.patch_embed`);
  let { tokens: t, hw } = embedded;
  const pos = torch.noGrad(() => swin.absolutePosEmbedFor(hw));
  t = emitAddPositions(g, t, pos, swin.absolutePosEmbed, 'absolute_pos_embed', path);
  t = emitModule(g, swin.dropAfterPos, t, `${path}.drop_after_pos`);
  const stageIdx = swin.outIndices[outIndex];
  for (let s = 0; s <= stageIdx; s++) {
    const stage = swin.stages.at(s);
    const c = swin.stageChannels[s];
    for (let j = 0; j < stage.blocks.length; j++) {
      const block = stage.blocks.at(j);
      const p = `${path}.stages.${s}.blocks.${j}`;
      if (block.constructor !== SwinBlock || block.forward !== SwinBlock.prototype.forward)
        throw new UnsupportedModuleError(p, block.constructor.name);
      t = emitBlock(g, block, t, hw, c, p);
    }
    if (s === stageIdx) break;
    if (stage.downsample) ({ tokens: t, hw } = emitPatchMerging(g, stage.downsample, t, hw, `${path}.stages.${s}.downsample`));
  }
  const c = swin.stageChannels[stageIdx];
  const norm = swin.outNorms.get(stageIdx);
  const normed = norm ? emitLayerNorm(g, norm, t, `${path}.norm${stageIdx}`) : t;
  const map = g.op1('Reshape', [normed, g.ints(`${path}.out_shape`, [-1, hw[0], hw[1], c])], {}, `${path}.out_map`);
  return g.op1('Transpose', [map], { perm: [0, 3, 1, 2] }, `${path}.out`);
}
