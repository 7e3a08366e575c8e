/**
 * ONNX emitters of single modules in eval mode, each reproducing the module's `forward`:
 * Conv2d (Conv), batch norms with running statistics (BatchNormalization), ReLU, max/average
 * pooling, global average pooling, Linear (MatMul + Add, any leading dims), LayerNorm
 * (LayerNormalization, opset ≥ 17; ConvNeXt's channel LayerNorm2d between transposes), exact
 * GELU (erf form, Hendrycks & Gimpel 2016), layer scale, Flatten; Identity, Dropout and DropPath
 * are the identity in eval mode. `Sequential` chains its children. Anything else is refused with
 * its module path and class.
 */
import { nn } from '@selfsup/torch';
import { LayerNorm2d } from '../../models/backbones/convnext-block.js';
import { LayerScale } from '../../models/backbones/vit.js';
import { float, type GraphBuilder } from './graph.js';

/** Thrown for a module the exporter has no emitter for (names its path and class). */
export class UnsupportedModuleError extends TypeError {
  constructor(
    readonly path: string,
    readonly moduleType: string,
    detail = '',
  ) {
    super(`ONNX export: unsupported module '${path || '<root>'}' (${moduleType})${detail ? `: ${detail}` : ''}`);
  }
}

const typeName = (m: object): string => m.constructor.name;

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Conv2d → Conv; `padding: 'same'` becomes explicit pads (the extra one bottom/right, as PyTorch). */
export function emitConv2d(g: GraphBuilder, m: nn.Conv2d, x: string, path: string): string {
  if (m.paddingMode !== 'zeros') throw new UnsupportedModuleError(path, 'Conv2d', `padding mode '${m.paddingMode}'`);
  let pads: number[];
  if (m.padding === 'valid') pads = [0, 0, 0, 0];
  else if (m.padding === 'same') {
    const total = m.kernelSize.map((k, i) => m.dilation[i] * (k - 1));
    pads = [
      Math.floor(total[0] / 2),
      Math.floor(total[1] / 2),
      total[0] - Math.floor(total[0] / 2),
      total[1] - Math.floor(total[1] / 2),
    ];
  } else pads = [m.padding[0], m.padding[1], m.padding[0], m.padding[1]];
  const inputs = [x, g.weight(`${path}.weight`, m.weight)];
  if (m.bias) inputs.push(g.weight(`${path}.bias`, m.bias));
  return g.op1(
    'Conv',
    inputs,
    { kernel_shape: m.kernelSize, strides: m.stride, pads, dilations: m.dilation, group: m.groups },
    path,
  );
}

type AnyBatchNorm = nn.BatchNorm1d | nn.BatchNorm2d | nn.SyncBatchNorm;

/** A batch norm with its running statistics (eval mode) → BatchNormalization over axis 1 of `(N, C, …)`. */
export function emitBatchNorm(g: GraphBuilder, m: AnyBatchNorm, x: string, path: string): string {
  if (!m.runningMean || !m.runningVar)
    throw new UnsupportedModuleError(path, typeName(m), 'no running statistics (trackRunningStats: false)');
  const c = m.numFeatures;
  const scale = m.weight ? g.weight(`${path}.weight`, m.weight) : g.floats(`${path}.weight`, new Float32Array(c).fill(1), [c]);
  const bias = m.bias ? g.weight(`${path}.bias`, m.bias) : g.floats(`${path}.bias`, new Float32Array(c), [c]);
  return g.op1(
    'BatchNormalization',
    [x, scale, bias, g.weight(`${path}.running_mean`, m.runningMean), g.weight(`${path}.running_var`, m.runningVar)],
    { epsilon: float(m.eps) },
    path,
  );
}

/** Linear over the last dim of any-rank input: MatMul with the transposed weight, then Add. */
export function emitLinear(g: GraphBuilder, m: nn.Linear, x: string, path: string): string {
  const w = m.weight.t();
  try {
    const y = g.op1('MatMul', [x, g.weight(`${path}.weight_t`, w)], {}, `${path}.matmul`);
    return m.bias ? g.op1('Add', [y, g.weight(`${path}.bias`, m.bias)], {}, path) : y;
  } finally {
    w.dispose();
  }
}

/** LayerNorm over the trailing `normalizedShape` dims → LayerNormalization (opset 17+). */
export function emitLayerNorm(g: GraphBuilder, m: nn.LayerNorm, x: string, path: string): string {
  if (g.opset < 17)
    throw new UnsupportedModuleError(path, 'LayerNorm', `LayerNormalization needs opset 17 or newer, got ${g.opset}`);
  const shape = m.normalizedShape;
  const n = shape.reduce((a, b) => a * b, 1);
  const eps = m.o.eps ?? 1e-5;
  const scale = m.weight ? g.weight(`${path}.weight`, m.weight) : g.floats(`${path}.weight`, new Float32Array(n).fill(1), shape);
  const inputs = [x, scale];
  if (m.bias) inputs.push(g.weight(`${path}.bias`, m.bias));
  return g.op1('LayerNormalization', inputs, { axis: -shape.length, epsilon: float(eps) }, path);
}

/** `LayerNorm2d` on `(N, C, H, W)`: LayerNormalization over C between transposes to and from `(N, H, W, C)`. */
export function emitLayerNorm2d(g: GraphBuilder, m: LayerNorm2d, x: string, path: string): string {
  const nhwc = g.op1('Transpose', [x], { perm: [0, 2, 3, 1] }, `${path}.to_nhwc`);
  return g.op1('Transpose', [emitLayerNorm(g, m, nhwc, path)], { perm: [0, 3, 1, 2] }, `${path}.to_nchw`);
}

/** Exact GELU: x · ½ · (1 + erf(x / √2)). */
export function emitGelu(g: GraphBuilder, x: string, path: string): string {
  const scaled = g.op1('Div', [x, g.floats(`${path}.sqrt2`, [Math.SQRT2], [])], {}, `${path}.div`);
  const e = g.op1('Erf', [scaled], {}, `${path}.erf`);
  const onePlus = g.op1('Add', [e, g.floats(`${path}.one`, [1], [])], {}, `${path}.add`);
  const half = g.op1('Mul', [x, g.floats(`${path}.half`, [0.5], [])], {}, `${path}.half`);
  return g.op1('Mul', [half, onePlus], {}, path);
}

function poolAttrs(kernel: [number, number], stride: [number, number], padding: [number, number], ceil: boolean) {
  return {
    kernel_shape: kernel,
    strides: stride,
    pads: [padding[0], padding[1], padding[0], padding[1]],
    ceil_mode: ceil ? 1 : 0,
  };
}

/**
 * Emits `m` applied to value `x` (module path `path` for names and errors) and returns the
 * output's value name.
 */
export function emitModule(g: GraphBuilder, m: nn.AnyModule, x: string, path: string): string {
  if (m instanceof nn.Conv2d) return emitConv2d(g, m, x, path);
  if (m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d || m instanceof nn.SyncBatchNorm)
    return emitBatchNorm(g, m, x, path);
  if (m instanceof nn.Linear) return emitLinear(g, m, x, path);
  // Before nn.LayerNorm, which it extends: it normalises axis 1, not the last.
  if (m instanceof LayerNorm2d) return emitLayerNorm2d(g, m, x, path);
  if (m instanceof nn.LayerNorm) return emitLayerNorm(g, m, x, path);
  if (m instanceof nn.ReLU) return g.op1('Relu', [x], {}, path);
  if (m instanceof nn.GELU) {
    if (m.approximate !== 'none') throw new UnsupportedModuleError(path, 'GELU', `approximate '${m.approximate}'`);
    return emitGelu(g, x, path);
  }
  if (m instanceof nn.Identity || m instanceof nn.Dropout || m instanceof nn.DropPath) return x;
  if (m instanceof LayerScale) return g.op1('Mul', [x, g.weight(`${path}.gamma`, m.gamma)], {}, path);
  if (m instanceof nn.MaxPool2d) {
    const k = pair(m.kernelSize);
    const dil = pair(m.o.dilation ?? 1);
    return g.op1(
      'MaxPool',
      [x],
      { ...poolAttrs(k, pair(m.o.stride ?? m.kernelSize), pair(m.o.padding ?? 0), m.o.ceilMode ?? false), dilations: dil },
      path,
    );
  }
  if (m instanceof nn.AvgPool2d) {
    const k = pair(m.kernelSize);
    return g.op1(
      'AveragePool',
      [x],
      {
        ...poolAttrs(k, pair(m.o.stride ?? m.kernelSize), pair(m.o.padding ?? 0), m.o.ceilMode ?? false),
        count_include_pad: (m.o.countIncludePad ?? true) ? 1 : 0,
      },
      path,
    );
  }
  if (m instanceof nn.AdaptiveAvgPool2d) {
    const [h, w] = pair(m.outputSize);
    if (h !== 1 || w !== 1) throw new UnsupportedModuleError(path, 'AdaptiveAvgPool2d', `output size [${h}, ${w}] (only 1 × 1)`);
    return g.op1('GlobalAveragePool', [x], {}, path);
  }
  if (m instanceof nn.Flatten) {
    if (m.endDim !== -1) throw new UnsupportedModuleError(path, 'Flatten', `endDim ${m.endDim} (only -1)`);
    return g.op1('Flatten', [x], { axis: m.startDim }, path);
  }
  if (m instanceof nn.Sequential) {
    let h = x;
    for (const [name, child] of m.namedChildren()) h = emitModule(g, child, h, path ? `${path}.${name}` : name);
    return h;
  }
  throw new UnsupportedModuleError(path, typeName(m));
}
