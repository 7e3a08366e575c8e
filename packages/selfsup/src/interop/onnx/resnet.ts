/**
 * ONNX graph of selfsup's `ResNet` (He et al. 2016; ResNetV1d, He et al. 2019) in eval mode,
 * following its `forward`: stem (7×7 conv or CIFAR 3×3 conv, or V1d's three ConvBN), max-pool
 * unless CIFAR stem, then the stages up to the requested output; a block is
 * relu(bn(conv(…)) + downsample(x)). Input `(N, C, H, W)`, output the stage map `(N, C_i, h, w)`.
 */
import { BasicBlock, Bottleneck, ConvBN, ResNet } from '../../models/backbones/resnet.js';
import type { GraphBuilder } from './graph.js';
import { emitModule, UnsupportedModuleError } from './modules.js';

function emitConvBnRelu(g: GraphBuilder, m: ConvBN, x: string, path: string): string {
  const h = emitModule(g, m.bn, emitModule(g, m.conv, x, `${path}.conv`), `${path}.bn`);
  return g.op1('Relu', [h], {}, `${path}.relu`);
}

function emitBlock(g: GraphBuilder, b: BasicBlock | Bottleneck, x: string, path: string): string {
  let h = g.op1('Relu', [emitModule(g, b.bn1, emitModule(g, b.conv1, x, `${path}.conv1`), `${path}.bn1`)], {}, `${path}.relu1`);
  h = emitModule(g, b.bn2, emitModule(g, b.conv2, h, `${path}.conv2`), `${path}.bn2`);
  if (b instanceof Bottleneck) {
    h = g.op1('Relu', [h], {}, `${path}.relu2`);
    h = emitModule(g, b.bn3, emitModule(g, b.conv3, h, `${path}.conv3`), `${path}.bn3`);
  }
  h = emitModule(g, b.dropPath, h, `${path}.drop_path`);
  const identity = b.downsample ? emitModule(g, b.downsample, x, `${path}.downsample`) : x;
  return g.op1('Relu', [g.op1('Add', [h, identity], {}, `${path}.add`)], {}, `${path}.out`);
}

/** Whether `m` runs ResNet's own forward (a subclass that overrides it is another network). */
export function isPlainResNet(m: object): m is ResNet {
  return m instanceof ResNet && m.forward === ResNet.prototype.forward;
}

/**
 * Emits `backbone.forward(x)[outIndex]`, the output of stage `backbone.outIndices[outIndex]`,
 * and returns its value name.
 */
export function emitResNet(g: GraphBuilder, backbone: ResNet, x: string, outIndex: number, path = 'backbone'): string {
  const stageIdx = backbone.outIndices[outIndex];
  let h: string;
  if (backbone.stem) {
    h = x;
    for (const [name, child] of backbone.stem.namedChildren()) {
      const p = `${path}.stem.${name}`;
      if (!(child instanceof ConvBN)) throw new UnsupportedModuleError(p, child.constructor.name);
      h = emitConvBnRelu(g, child, h, p);
    }
  } else {
    const conv1 = backbone.conv1;
    const bn1 = backbone.bn1;
    if (!conv1 || !bn1) throw new UnsupportedModuleError(`${path}.conv1`, 'null', 'a ResNet without stem');
    h = g.op1('Relu', [emitModule(g, bn1, emitModule(g, conv1, x, `${path}.conv1`), `${path}.bn1`)], {}, `${path}.relu`);
  }
  if (backbone.maxpool) h = emitModule(g, backbone.maxpool, h, `${path}.maxpool`);
  for (let s = 0; s <= stageIdx; s++) {
    for (const [name, block] of backbone.layers[s].namedChildren()) {
      const p = `${path}.layer${s + 1}.${name}`;
      if (block.constructor !== BasicBlock && block.constructor !== Bottleneck)
        throw new UnsupportedModuleError(p, block.constructor.name);
      h = emitBlock(g, block as BasicBlock | Bottleneck, h, p);
    }
  }
  return h;
}
