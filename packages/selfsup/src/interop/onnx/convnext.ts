/**
 * ONNX graph of selfsup's `ConvNeXt` (Liu et al. 2022) and ConvNeXt V2 (Woo et al. 2023) in eval
 * mode, following its `forward`: each stage entered through its downsampling layer (stem conv +
 * LayerNorm2d, or LayerNorm2d + 2×2 conv), then its blocks x + γ·pw2(GRN(GELU(pw1(LN(dw7×7(x)))))),
 * then the stage output: `norm{i}(GAP(map))` `(N, C_i)` by default, else `norm{i}(map)`
 * `(N, C_i, h, w)`. SparK's `SparseConvNeXt` is exported as the dense network its plain `forward`
 * is (no mask is ever set in an exported graph). Input `(N, C, H, W)`.
 */
import { ConvNeXt } from '../../models/backbones/convnext.js';
import { ConvNeXtBlock, type GRN } from '../../models/backbones/convnext-block.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitLayerNorm2d, emitModule, UnsupportedModuleError } from './modules.js';

/** Whether `m` runs ConvNeXt's own forward (its SparK subclass does, densely; others would not). */
export function isPlainConvNeXt(m: object): m is ConvNeXt {
  const p = ConvNeXt.prototype;
  return m instanceof ConvNeXt && m.forward === p.forward;
}

/** GRN on `(N, H, W, C)`: γ·(x·nx) + β + x with nx = ‖x‖₂ over H, W divided by its mean over C (+ ε). */
function emitGrnChannelsLast(g: GraphBuilder, m: GRN, x: string, path: string): string {
  const sq = g.op1('Mul', [x, x], {}, `${path}.sq`);
  const gx = g.op1('Sqrt', [g.reduce('ReduceSum', sq, [1, 2], true, `${path}.sum_hw`)], {}, `${path}.norm_hw`);
  const mean = g.reduce('ReduceMean', gx, [-1], true, `${path}.mean_c`);
  const nx = g.op1(
    'Div',
    [gx, g.op1('Add', [mean, g.floats(`${path}.eps`, [m.eps], [])], {}, `${path}.mean_eps`)],
    {},
    `${path}.nx`,
  );
  const scaled = g.op1(
    'Mul',
    [g.op1('Mul', [x, nx], {}, `${path}.xnx`), g.weight(`${path}.gamma`, m.gamma)],
    {},
    `${path}.scaled`,
  );
  return g.op1('Add', [g.op1('Add', [scaled, g.weight(`${path}.beta`, m.beta)], {}, `${path}.shifted`), x], {}, path);
}

function emitBlock(g: GraphBuilder, b: ConvNeXtBlock, x: string, path: string): string {
  let y = emitModule(g, b.depthwiseConv, x, `${path}.depthwise_conv`);
  if (b.linearPwConv) {
    y = g.op1('Transpose', [y], { perm: [0, 2, 3, 1] }, `${path}.to_nhwc`);
    y = emitLayerNorm(g, b.norm, y, `${path}.norm`);
    y = emitModule(g, b.act, emitModule(g, b.pointwiseConv1, y, `${path}.pointwise_conv1`), `${path}.act`);
    if (b.grn) y = emitGrnChannelsLast(g, b.grn, y, `${path}.grn`);
    y = emitModule(g, b.pointwiseConv2, y, `${path}.pointwise_conv2`);
    y = g.op1('Transpose', [y], { perm: [0, 3, 1, 2] }, `${path}.to_nchw`);
  } else {
    y = emitLayerNorm2d(g, b.norm, y, `${path}.norm`);
    y = emitModule(g, b.act, emitModule(g, b.pointwiseConv1, y, `${path}.pointwise_conv1`), `${path}.act`);
    if (b.grn) {
      const nhwc = g.op1('Transpose', [y], { perm: [0, 2, 3, 1] }, `${path}.grn_in`);
      y = g.op1('Transpose', [emitGrnChannelsLast(g, b.grn, nhwc, `${path}.grn`)], { perm: [0, 3, 1, 2] }, `${path}.grn_out`);
    }
    y = emitModule(g, b.pointwiseConv2, y, `${path}.pointwise_conv2`);
  }
  if (b.gamma) y = g.op1('Mul', [y, g.weight(`${path}.gamma`, b.gamma, [b.inChannels, 1, 1])], {}, `${path}.layer_scale`);
  y = emitModule(g, b.dropPath, y, `${path}.drop_path`);
  return g.op1('Add', [x, y], {}, `${path}.add`);
}

/**
 * Emits `backbone.forward(x)[outIndex]` and returns its value name and rank: 2 for the pooled
 * `(N, C_i)` output (`gapBeforeFinalNorm`), 4 for the map.
 */
export function emitConvNeXt(
  g: GraphBuilder,
  backbone: ConvNeXt,
  x: string,
  outIndex: number,
  path = 'backbone',
): { value: string; rank: number } {
  const stageIdx = backbone.outIndices[outIndex];
  let h = x;
  for (let s = 0; s <= stageIdx; s++) {
    h = emitModule(g, backbone.downsampleLayers.at(s), h, `${path}.downsample_layers.${s}`);
    for (const [name, block] of backbone.stages.at(s).namedChildren()) {
      const p = `${path}.stages.${s}.${name}`;
      if (!(block instanceof ConvNeXtBlock) || block.forward !== ConvNeXtBlock.prototype.forward)
        throw new UnsupportedModuleError(p, block.constructor.name);
      h = emitBlock(g, block, h, p);
    }
  }
  const norm = backbone.outNorms.get(stageIdx);
  const normPath = `${path}.norm${stageIdx}`;
  if (backbone.gap) {
    const pooled = g.reduce('ReduceMean', h, [2, 3], true, `${path}.gap`);
    const normed = norm ? emitLayerNorm2d(g, norm, pooled, normPath) : pooled;
    return { value: g.op1('Flatten', [normed], { axis: 1 }, `${path}.gap_flatten`), rank: 2 };
  }
  return { value: norm ? emitLayerNorm2d(g, norm, h, normPath) : h, rank: 4 };
}
