/**
 * ONNX graph of selfsup's `MixMIMTransformer` (Liu et al. 2022, "MixMIM: Mixed and Masked Image
 * Modeling for Efficient Visual Representation Learning", arXiv:2205.13137) in eval mode, following
 * its `forward` (mmcls's evaluation path: no mixing, no attention mask): the LayerNorm'd patch
 * embedding plus the fixed sine-cosine positions, per stage its blocks x + W-MSA(ln1(x)),
 * x + FFN(ln2(x)) over non-shifted windows and the patch merging that ends it, the final norm, and
 * the tokens averaged to `(N, C_last)`.
 *
 * The position table is made for the backbone's `imgSize` and MixMIM does not resize it, so the
 * graph takes exactly that input size (any batch).
 */
import { MixMIMBlock, MixMIMLayer, MixMIMTransformer } from '../../models/backbones/mixmim.js';
import type { GraphBuilder } from './graph.js';
import { emitLayerNorm, emitModule, UnsupportedModuleError } from './modules.js';
import { emitFFN, emitPatchMerging, emitWindowAttention } from './swin.js';
import { emitPatchEmbed } from './vit.js';

/** Whether `m` runs MixMIMTransformer's own forward (a subclass that overrides it is another network). */
export function isPlainMixMIM(m: object): m is MixMIMTransformer {
  return m instanceof MixMIMTransformer && m.forward === MixMIMTransformer.prototype.forward;
}

function emitBlock(g: GraphBuilder, b: MixMIMBlock, x: string, c: number, path: string): string {
  if (b.constructor !== MixMIMBlock || b.forward !== MixMIMBlock.prototype.forward)
    throw new UnsupportedModuleError(path, b.constructor.name);
  const attended = emitWindowAttention(g, b.attn, emitLayerNorm(g, b.ln1, x, `${path}.ln1`), b.resolution, c, 0, `${path}.attn`);
  const y = g.op1('Add', [x, emitModule(g, b.dropPath, attended, `${path}.drop_path`)], {}, `${path}.add`);
  return emitFFN(g, b.ffn, emitLayerNorm(g, b.ln2, y, `${path}.ln2`), y, `${path}.ffn`);
}

/**
 * Emits `backbone.forward(x)[0]` (the averaged final tokens, `(N, C_last)`) for images of
 * `inputSize`, which must be the backbone's `imgSize`, and returns its value name.
 */
export function emitMixMIM(
  g: GraphBuilder,
  net: MixMIMTransformer,
  x: string,
  inputSize: [number, number],
  path = 'backbone',
): string {
  const [gh, gw] = net.patchResolution;
  const [ph, pw] = net.patchEmbed.patchSize;
  if (inputSize[0] !== gh * ph || inputSize[1] !== gw * pw)
    throw new RangeError(
      `ONNX export: MixMIMTransformer takes ${gh * ph}×${gw * pw} images (its imgSize; the position table is not resized), got ${inputSize[0]}×${inputSize[1]}`,
    );
  let t = emitPatchEmbed(g, net.patchEmbed, x, inputSize, `${path}.patch_embed`).tokens;
  t = g.op1('Add', [t, g.weight(`${path}.absolute_pos_embed`, net.absolutePosEmbed)], {}, `${path}.pos`);
  t = emitModule(g, net.dropAfterPos, t, `${path}.drop_after_pos`);
  for (let s = 0; s < net.layers.length; s++) {
    const layer = net.layers.at(s);
    const p = `${path}.layers.${s}`;
    if (layer.constructor !== MixMIMLayer || layer.forward !== MixMIMLayer.prototype.forward)
      throw new UnsupportedModuleError(p, layer.constructor.name);
    const c = net.stageChannels[s];
    for (let j = 0; j < layer.blocks.length; j++) t = emitBlock(g, layer.blocks.at(j), t, c, `${p}.blocks.${j}`);
    if (layer.downsample) t = emitPatchMerging(g, layer.downsample, t, layer.resolution, `${p}.downsample`).tokens;
  }
  const normed = emitLayerNorm(g, net.norm, t, `${path}.norm`);
  return g.reduce('ReduceMean', normed, [1], false, `${path}.mean`);
}
