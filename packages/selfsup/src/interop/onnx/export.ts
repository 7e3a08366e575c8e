/**
 * A backbone (optionally with its SimCLR-style MLP projector) as an ONNX model, computing what
 * the evaluation features are: the normalised image `(N, C, H, W)` float32 in, the backbone's
 * output at `stage` pooled as `poolFeatures` pools it (`(N, D)`, named `features`) out, plus
 * `projection` `(N, outChannels)` with the projector. Eval mode throughout (batch norms use their
 * running statistics). The image normalisation is not part of the graph: its mean/std (0–255
 * units) go into the model's metadata (`selfsup.mean`, `selfsup.std`).
 */
import { nn } from '@selfsup/torch';
import type { ImageNormalization } from '../../core/images.js';
import type { Backbone } from '../../models/backbones/base.js';
import { NonLinearNeck } from '../../models/necks/nonlinear-neck.js';
import { GraphBuilder } from './graph.js';
import { emitModule, UnsupportedModuleError } from './modules.js';
import { encodeModel, DataType, type Dim } from './proto.js';
import { emitBEiT, isPlainBEiT } from './beit.js';
import { emitConvNeXt, isPlainConvNeXt } from './convnext.js';
import { emitHiViT, isPlainHiViT } from './hivit.js';
import { emitMixMIM, isPlainMixMIM } from './mixmim.js';
import { emitResNet, isPlainResNet } from './resnet.js';
import { emitSwin, isPlainSwin } from './swin.js';
import { emitViT, isPlainViT, poolTokens } from './vit.js';

/** Opsets this exporter writes, and the IR version each goes with (onnx/docs/Versioning.md). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

export interface OnnxExportOptions {
  /** Image size `[H, W]` of the input. */
  inputSize: [number, number];
  /** Default 17. */
  opset?: number;
  /** A symbolic batch dimension (`batch`) instead of the fixed `batchSize`. */
  dynamicBatch?: boolean;
  /** Fixed batch size when not dynamic. Default 1. */
  batchSize?: number;
  /** Index into the backbone's `forward()` outputs (default the last), as `selfsup extract --stage`. */
  stage?: number;
  /** Also emit the neck (a `NonLinearNeck`) as output `projection`. */
  projector?: nn.AnyModule | null;
  normalization?: ImageNormalization;
  /** Extra metadata entries. */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** What `exportOnnx` wrote: the bytes and the graph's interface. */
export interface OnnxExport {
  bytes: Uint8Array;
  input: { name: string; shape: Dim[] };
  outputs: { name: string; shape: Dim[] }[];
  nodes: number;
  initializers: number;
}

/** `stage` (negative from the end; default the last) as an index into `numOuts` outputs. */
function pickOutput(numOuts: number, stage: number | undefined): number {
  const s = stage ?? numOuts - 1;
  const r = s < 0 ? numOuts + s : s;
  if (!(Number.isInteger(r) && r >= 0 && r < numOuts))
    throw new RangeError(`ONNX export: stage ${s} out of range for ${numOuts} backbone outputs`);
  return r;
}

function emitProjector(g: GraphBuilder, neck: nn.AnyModule, x: string): string {
  if (!(neck instanceof NonLinearNeck) || neck.forward !== NonLinearNeck.prototype.forward)
    throw new UnsupportedModuleError('neck', neck.constructor.name, 'only NonLinearNeck projectors are exported');
  let h = x;
  for (let i = 0; i < neck.numLayers; i++) {
    if (i > 0) h = g.op1('Relu', [h], {}, `neck.relu${i}`);
    h = emitModule(g, neck.fcs[i], h, `neck.fc${i}`);
    const bn = neck.bns[i];
    if (bn) h = emitModule(g, bn, h, `neck.bn${i}`);
  }
  return h;
}

/** Writes `backbone` (eval mode) as an ONNX model; see the module doc for its inputs and outputs. */
export function exportOnnx(backbone: Backbone, o: OnnxExportOptions): OnnxExport {
  const opset = o.opset ?? 17;
  const ir = IR_VERSION[opset];
  if (ir === undefined)
    throw new RangeError(`ONNX export: opset must be one of ${Object.keys(IR_VERSION).join(', ')}, got ${opset}`);
  const [h, w] = o.inputSize;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0))
    throw new RangeError(`ONNX export: input size must be positive integers, got [${o.inputSize}]`);
  const batch: Dim = o.dynamicBatch ? 'batch' : (o.batchSize ?? 1);
  const g = new GraphBuilder(opset);
  const x = g.fresh('images');
  let out: { value: string; rank: number };
  let prefix = 0;
  let dim: number;
  let c: number;
  if (isPlainResNet(backbone)) {
    const outIndex = pickOutput(backbone.outIndices.length, o.stage);
    out = { value: emitResNet(g, backbone, x, outIndex), rank: 4 };
    dim = backbone.stageChannels[backbone.outIndices[outIndex]];
    c = backbone.opts.inChannels ?? 3;
  } else if (isPlainConvNeXt(backbone)) {
    const outIndex = pickOutput(backbone.outIndices.length, o.stage);
    out = emitConvNeXt(g, backbone, x, outIndex);
    dim = backbone.stageChannels[backbone.outIndices[outIndex]];
    const stem = backbone.downsampleLayers.at(0).at(0);
    if (!(stem instanceof nn.Conv2d)) throw new UnsupportedModuleError('backbone.downsample_layers.0.0', stem.constructor.name);
    c = stem.inChannels;
  } else if (isPlainSwin(backbone)) {
    const outIndex = pickOutput(backbone.outIndices.length, o.stage);
    out = { value: emitSwin(g, backbone, x, [h, w], outIndex), rank: 4 };
    dim = backbone.stageChannels[backbone.outIndices[outIndex]];
    c = backbone.patchEmbed.proj.inChannels;
  } else if (isPlainViT(backbone)) {
    out = emitViT(g, backbone, x, [h, w], pickOutput(backbone.outIndices.length, o.stage));
    prefix = backbone.numPrefixTokens;
    dim = backbone.embedDim;
    c = backbone.patchEmbed.proj.inChannels;
  } else if (isPlainBEiT(backbone)) {
    out = emitBEiT(g, backbone, x, [h, w], pickOutput(backbone.outIndices.length, o.stage));
    prefix = backbone.numPrefixTokens;
    dim = backbone.embedDim;
    c = backbone.patchEmbed.proj.inChannels;
  } else if (isPlainMixMIM(backbone)) {
    pickOutput(1, o.stage);
    out = { value: emitMixMIM(g, backbone, x, [h, w]), rank: 2 };
    dim = backbone.numFeatures;
    c = backbone.patchEmbed.proj.inChannels;
  } else if (isPlainHiViT(backbone)) {
    // Tokens (N, L, C) of the chosen block: their mean is the global average of forward's map.
    out = { value: emitHiViT(g, backbone, x, [h, w], pickOutput(backbone.outIndices.length, o.stage)), rank: 3 };
    dim = backbone.embedDims;
    c = backbone.patchEmbed.proj.inChannels;
  } else {
    throw new UnsupportedModuleError(
      'backbone',
      backbone.constructor.name,
      'ONNX export supports ResNet, ConvNeXt, SwinTransformer, MixMIMTransformer, VisionTransformer, BEiTViT and HiViT',
    );
  }
  // Pooled as `poolFeatures` pools: a map by its global average, tokens by `poolTokens`.
  const features =
    out.rank === 2
      ? out.value
      : out.rank === 4
        ? g.op1('Flatten', [g.op1('GlobalAveragePool', [out.value], {}, 'pool')], { axis: 1 }, 'pool.flatten')
        : poolTokens(g, out.value, prefix, 'pool');
  const featuresOut = g.op1('Identity', [features], {}, 'features');
  const outputs = [{ name: featuresOut, shape: [batch, dim] as Dim[] }];
  if (o.projector) {
    const neck = o.projector as NonLinearNeck;
    // From the `features` output itself: onnxruntime's Identity elimination drops a graph output's
    // input name when other nodes still read it.
    const proj = g.op1('Identity', [emitProjector(g, neck, featuresOut)], {}, 'projection');
    outputs.push({ name: proj, shape: [batch, neck.fcs[neck.numLayers - 1].outFeatures] });
  }
  const input = { name: x, shape: [batch, c, h, w] as Dim[] };
  const metadata: Record<string, string> = { ...o.metadata };
  if (o.normalization) {
    metadata['selfsup.mean'] = JSON.stringify(o.normalization.mean);
    metadata['selfsup.std'] = JSON.stringify(o.normalization.std);
  }
  const bytes = encodeModel({
    irVersion: ir,
    opset,
    producerName: 'selfsup',
    producerVersion: o.producerVersion ?? '0.1.0',
    docString: `${backbone.constructor.name} features${o.projector ? ' and projection' : ''}; input: normalised images (x − mean) / std`,
    graph: {
      name: backbone.constructor.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: x, elemType: DataType.FLOAT, shape: input.shape }],
      outputs: outputs.map((out) => ({ name: out.name, elemType: DataType.FLOAT, shape: out.shape })),
    },
    metadata,
  });
  return { bytes, input, outputs, nodes: g.nodes.length, initializers: g.initializers.length };
}
