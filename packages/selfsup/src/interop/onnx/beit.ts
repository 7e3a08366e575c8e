/**
 * ONNX graph of selfsup's `BEiTViT` (Bao et al. 2022, BEiT; Peng et al. 2022, BEiT v2) in eval
 * mode, following its `forward`: patch embedding, class token, absolute position embedding if any,
 * pre-norm blocks
 * x + γ₁·attn(norm1(x)), x + γ₂·mlp(norm2(x)) whose attention adds BEiT's q/v biases to the qkv
 * projection and the relative position bias (the shared table's plus the block's own) to the
 * scaled logits, then the final norm. The relative biases depend only on the patch grid, so they
 * are gathered at export time and stored as `(H, T, T)` constants; like `forward`, the graph is
 * for the backbone's `imgSize` grid.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { BEiTAttention, BEiTBlock, BEiTViT } from '../../models/backbones/beit-vit.js';
import { Mlp } from '../../models/backbones/vit.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitModule, UnsupportedModuleError } from './modules.js';
import { emitAttention, emitMlp, emitPatchEmbed, emitPrependToken, emitTokensOut } from './vit.js';

/** Whether `m` runs BEiTViT's own forward (subclasses that override it are other networks). */
export function isPlainBEiT(m: object): m is BEiTViT {
  return m instanceof BEiTViT && m.forward === BEiTViT.prototype.forward;
}

function emitBlock(g: GraphBuilder, b: BEiTBlock, x: string, shared: Tensor | null, path: string): string {
  const a = b.attn;
  if (a.constructor !== BEiTAttention || a.forward !== BEiTAttention.prototype.forward)
    throw new UnsupportedModuleError(`${path}.attn`, a.constructor.name);
  if (b.mlp.constructor !== Mlp) throw new UnsupportedModuleError(`${path}.mlp`, b.mlp.constructor.name);
  const extra: { qkvBias?: string; attnBias?: string } = {};
  torch.noGrad(() =>
    torch.tidy(() => {
      if (a.q_bias && a.v_bias)
        extra.qkvBias = g.weight(`${path}.attn.qkv_bias`, torch.cat([a.q_bias, torch.zerosLike(a.v_bias), a.v_bias]));
      const bias = a.relativeBias(shared);
      if (bias) extra.attnBias = g.weight(`${path}.attn.rel_pos_bias`, bias);
    }),
  );
  let h = emitAttention(g, a, emitLayerNorm(g, b.norm1, x, `${path}.norm1`), `${path}.attn`, extra);
  if (b.gamma_1) h = g.op1('Mul', [h, g.weight(`${path}.gamma_1`, b.gamma_1)], {}, `${path}.ls1`);
  h = emitModule(g, b.dropPath1, h, `${path}.drop_path1`);
  const y = g.op1('Add', [x, h], {}, `${path}.add1`);
  let m = emitMlp(g, b.mlp, emitLayerNorm(g, b.norm2, y, `${path}.norm2`), `${path}.mlp`);
  if (b.gamma_2) m = g.op1('Mul', [m, g.weight(`${path}.gamma_2`, b.gamma_2)], {}, `${path}.ls2`);
  m = emitModule(g, b.dropPath2, m, `${path}.drop_path2`);
  return g.op1('Add', [y, m], {}, `${path}.add2`);
}

/**
 * Emits `backbone.forward(x)[outIndex]` for images of `inputSize` (the backbone's `imgSize` grid)
 * and returns its value name and rank, as `emitTokensOut` shapes it.
 */
export function emitBEiT(
  g: GraphBuilder,
  beit: BEiTViT,
  x: string,
  inputSize: [number, number],
  outIndex: number,
  path = 'backbone',
): { value: string; rank: number } {
  const { tokens, hw } = emitPatchEmbed(g, beit.patchEmbed, x, inputSize, `${path}.patch_embed`);
  const [gh, gw] = beit.gridSize;
  if (hw[0] !== gh || hw[1] !== gw)
    throw new RangeError(
      `ONNX export: BEiTViT's relative position bias is made for a ${gh}×${gw} patch grid; ` +
        `input size [${inputSize}] gives ${hw[0]}×${hw[1]} (export at the backbone's imgSize)`,
    );
  const d = beit.embedDim;
  let t = emitPrependToken(g, tokens, g.weight(`${path}.cls_token`, beit.clsToken), d, path);
  // The grid is the one the embedding is made for (checked above): no resizing.
  if (beit.posEmbed) t = g.op1('Add', [t, g.weight(`${path}.pos_embed`, beit.posEmbed)], {}, `${path}.pos`);
  t = emitModule(g, beit.posDrop, t, `${path}.pos_drop`);
  const shared = torch.noGrad(() => beit.sharedRelPosBias());
  try {
    const blockIdx = beit.outIndices[outIndex];
    for (let i = 0; i <= blockIdx; i++) {
      const b = beit.blocks.at(i);
      const p = `${path}.blocks.${i}`;
      if (b.constructor !== BEiTBlock || b.forward !== BEiTBlock.prototype.forward)
        throw new UnsupportedModuleError(p, b.constructor.name);
      t = emitBlock(g, b, t, shared, p);
      if (i === beit.depth - 1 && beit.norm) t = emitLayerNorm(g, beit.norm, t, `${path}.norm`);
    }
  } finally {
    shared?.dispose();
  }
  return emitTokensOut(g, t, beit.outType, 1, hw, d, path);
}
