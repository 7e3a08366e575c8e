/**
 * ONNX graph of selfsup's `HiViT` (Zhang et al. 2023, arXiv:2205.14949; iTPN's `iTPNHiViT` shares
 * its evaluation forward) in eval mode, following `forward`: the stride-p/4 patch-embedding conv,
 * each patch's 4 × 4 inner patches grouped `(N, L, 4, 4, C/4)` and LayerNorm-ed; the MLP-only stem
 * blocks x + γ₂·mlp(norm2(x)) on every inner patch and the two `PatchMerge`s (2 × 2 neighbours
 * concatenated in mmpretrain's order, LayerNorm, bias-free linear) that fold them to `(N, L, C)`;
 * the position embedding (resized at export time for the input's grid, as `posEmbedFor` resizes
 * it); the global-attention blocks x + γ₁·attn(norm1(x)), x + γ₂·mlp(norm2(x)), with the relative
 * position bias gathered at export time into a `(1, H, L, L)` constant when `rpe` (the graph is
 * then for the backbone's `imgSize` grid). Out: the chosen main block's tokens `(N, L, C)`, which
 * the exporter averages as the evaluation pools HiViT's `(N, C, h, w)` map.
 */
import * as torch from '@selfsup/torch';
import { HiViT, HiViTAttention, HiViTBlock, PatchMerge } from '../../models/backbones/hivit.js';
import { Mlp } from '../../models/backbones/vit.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitLinear, emitModule, UnsupportedModuleError } from './modules.js';
import { emitAddPositions, emitAttention, emitMlp } from './vit.js';

/** Whether `m` runs HiViT's own evaluation path (a subclass that overrides it is another network). */
export function isPlainHiViT(m: object): m is HiViT {
  if (!(m instanceof HiViT)) return false;
  const own = m as unknown as Record<string, unknown>;
  const base = HiViT.prototype as unknown as Record<string, unknown>;
  return ['forward', 'encode', 'runStem', 'posEmbedFor'].every((k) => own[k] === base[k]);
}

function emitBlock(g: GraphBuilder, b: HiViTBlock, x: string, path: string): string {
  if (b.constructor !== HiViTBlock || b.forward !== HiViTBlock.prototype.forward)
    throw new UnsupportedModuleError(path, b.constructor.name);
  if (b.mlp.constructor !== Mlp) throw new UnsupportedModuleError(`${path}.mlp`, b.mlp.constructor.name);
  let y = x;
  if (b.attn && b.norm1) {
    const a = b.attn;
    if (a.constructor !== HiViTAttention || a.forward !== HiViTAttention.prototype.forward)
      throw new UnsupportedModuleError(`${path}.attn`, a.constructor.name);
    const bias = torch.noGrad(() => a.relativeBias());
    let h: string;
    try {
      const extra = bias ? { attnBias: g.weight(`${path}.attn.rel_pos_bias`, bias) } : {};
      h = emitAttention(g, a, emitLayerNorm(g, b.norm1, y, `${path}.norm1`), `${path}.attn`, extra);
    } finally {
      bias?.dispose();
    }
    if (b.gamma1) h = g.op1('Mul', [h, g.weight(`${path}.gamma_1`, b.gamma1)], {}, `${path}.ls1`);
    h = emitModule(g, b.dropPath, h, `${path}.drop_path1`);
    y = g.op1('Add', [y, h], {}, `${path}.add1`);
  }
  let m = emitMlp(g, b.mlp, emitLayerNorm(g, b.norm2, y, `${path}.norm2`), `${path}.mlp`);
  if (b.gamma2) m = g.op1('Mul', [m, g.weight(`${path}.gamma_2`, b.gamma2)], {}, `${path}.ls2`);
  m = emitModule(g, b.dropPath, m, `${path}.drop_path2`);
  return g.op1('Add', [y, m], {}, `${path}.add2`);
}

/** `(N, L, h, w, C)` → `(N, L, h/2, w/2, 2C)`: the 2 × 2 neighbours in (row, column) order (0,0), (1,0), (0,1), (1,1). */
function emitPatchMerge(g: GraphBuilder, m: PatchMerge, x: string, l: number, hw: number, path: string): string {
  if (m.constructor !== PatchMerge || m.forward !== PatchMerge.prototype.forward)
    throw new UnsupportedModuleError(path, m.constructor.name);
  const c = m.dim;
  const h = hw / 2;
  const split = g.op1('Reshape', [x, g.ints(`${path}.split_shape`, [0, l, h, 2, h, 2, c])], {}, `${path}.split`);
  const t = g.op1('Transpose', [split], { perm: [0, 1, 2, 4, 5, 3, 6] }, `${path}.neighbours`);
  const cat = g.op1('Reshape', [t, g.ints(`${path}.cat_shape`, [0, l, h, h, 4 * c])], {}, `${path}.cat`);
  return emitLinear(g, m.reduction, emitLayerNorm(g, m.norm, cat, `${path}.norm`), `${path}.reduction`);
}

/**
 * Emits the tokens `(N, L, C)` of main block `outIndices[outIndex]` for images of `inputSize` (a
 * multiple of the patch size; the backbone's `imgSize` with `rpe`) and returns the value name.
 */
export function emitHiViT(
  g: GraphBuilder,
  net: HiViT,
  x: string,
  inputSize: [number, number],
  outIndex: number,
  path = 'backbone',
): string {
  const p = net.patchSize;
  const [ih, iw] = inputSize;
  if (ih % p !== 0 || iw % p !== 0)
    throw new RangeError(`ONNX export: HiViT takes images whose sides are multiples of its patch size ${p}, got ${ih}×${iw}`);
  const hw: [number, number] = [ih / p, iw / p];
  const [gh, gw] = net.gridSize;
  if (net.rpe && (hw[0] !== gh || hw[1] !== gw))
    throw new RangeError(
      `ONNX export: HiViT's relative position bias is made for a ${gh}×${gw} patch grid; input size [${inputSize}] gives ${hw[0]}×${hw[1]} (export at the backbone's imgSize)`,
    );
  const l = hw[0] * hw[1];
  const pe = net.patchEmbed;
  const k = pe.innerPatches;
  const c4 = net.embedDims / 4;
  const conv = emitModule(g, pe.proj, x, `${path}.patch_embed.proj`);
  const grid = g.op1(
    'Reshape',
    [conv, g.ints(`${path}.patch_embed.grid_shape`, [0, c4, hw[0], k, hw[1], k])],
    {},
    `${path}.patch_embed.grid`,
  );
  const inner = g.op1('Transpose', [grid], { perm: [0, 2, 4, 3, 5, 1] }, `${path}.patch_embed.inner_t`);
  let t = g.op1('Reshape', [inner, g.ints(`${path}.patch_embed.inner_shape`, [0, l, k, k, c4])], {}, `${path}.patch_embed.inner`);
  if (pe.norm) t = emitLayerNorm(g, pe.norm, t, `${path}.patch_embed.norm`);
  let side = k;
  const stemCount = net.blocks.length - net.numMainBlocks;
  for (let i = 0; i < stemCount; i++) {
    const b = net.blocks.at(i);
    const bp = `${path}.blocks.${i}`;
    if (b instanceof PatchMerge) {
      t = emitPatchMerge(g, b, t, l, side, bp);
      side /= 2;
    } else t = emitBlock(g, b, t, bp);
  }
  t = g.op1('Reshape', [t, g.ints(`${path}.tokens_shape`, [0, l, net.embedDims])], {}, `${path}.tokens`);
  t = emitAddPositions(
    g,
    t,
    torch.noGrad(() => net.posEmbedFor(hw)),
    net.posEmbed,
    'pos_embed',
    path,
  );
  t = emitModule(g, net.posDrop, t, `${path}.pos_drop`);
  const last = net.outIndices[outIndex];
  for (let i = 0; i <= last; i++)
    t = emitBlock(g, net.blocks.at(stemCount + i) as HiViTBlock, t, `${path}.blocks.${stemCount + i}`);
  return t;
}
