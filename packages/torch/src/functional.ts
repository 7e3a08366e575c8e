/**
 * `torch.nn.functional` (exported as `F`): each function is one or a few ATen calls with
 * PyTorch's argument names, defaults and shape conventions (`(N, C, H, W)` for images).
 */
import { native, type NativeValue } from './native.js';
import { hasOp, opId } from './opcache.js';
import { tidy } from './scope.js';
import { type Tensor, wrap } from './tensor.js';

type Pair = number | [number, number];
export type Reduction = 'none' | 'mean' | 'sum';

const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

function call(name: string, overload: string, ...args: unknown[]): NativeValue {
  return native.call(opId(name, overload), ...args);
}

function h(t: Tensor | null | undefined): number | null {
  return t ? t.handle : null;
}

function reduction(r: Reduction | undefined): number {
  const v = REDUCTION[r ?? 'mean'];
  if (v === undefined) throw new TypeError(`reduction must be 'none', 'mean' or 'sum', got '${r}'`);
  return v;
}

/** y = x Wᵀ + b; x `(*, in)`, W `(out, in)`, b `(out)`. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(call('linear', '', input.handle, weight.handle, h(bias)));
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

/** 2-D convolution; input `(N, C_in, H, W)`, weight `(C_out, C_in/groups, kH, kW)`. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  if (typeof o.padding === 'string') {
    return wrap(
      call('conv2d', 'padding', input.handle, weight.handle, h(bias), o.stride ?? 1, o.padding, o.dilation ?? 1, o.groups ?? 1),
    );
  }
  return wrap(
    call('conv2d', '', input.handle, weight.handle, h(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1),
  );
}

/** Transposed 2-D convolution; weight `(C_in, C_out/groups, kH, kW)`. */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: { stride?: Pair; padding?: Pair; outputPadding?: Pair; groups?: number; dilation?: Pair } = {},
): Tensor {
  return wrap(
    call(
      'conv_transpose2d',
      'input',
      input.handle,
      weight.handle,
      h(bias),
      o.stride ?? 1,
      o.padding ?? 0,
      o.outputPadding ?? 0,
      o.groups ?? 1,
      o.dilation ?? 1,
    ),
  );
}

/** Batch norm over `(N, C, …)`; updates running stats in place when `training`. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number } = {},
): Tensor {
  return wrap(
    call(
      'batch_norm',
      '',
      input.handle,
      h(o.weight),
      h(o.bias),
      h(runningMean),
      h(runningVar),
      o.training ?? false,
      o.momentum ?? 0.1,
      o.eps ?? 1e-5,
      true,
    ),
  );
}

/** Layer norm over the trailing `normalizedShape` dims. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number[],
  o: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  return wrap(call('layer_norm', '', input.handle, normalizedShape, h(o.weight), h(o.bias), o.eps ?? 1e-5, true));
}

/** Group norm of `(N, C, …)` with C split into `numGroups`. */
export function groupNorm(
  input: Tensor,
  numGroups: number,
  o: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  return wrap(call('group_norm', '', input.handle, numGroups, h(o.weight), h(o.bias), o.eps ?? 1e-5, true));
}

export function relu(x: Tensor): Tensor {
  return wrap(call('relu', '', x.handle));
}

/** GELU; `approximate: 'tanh'` for the tanh approximation. */
export function gelu(x: Tensor, o: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return wrap(call('gelu', '', x.handle, o.approximate ?? 'none'));
}

export function silu(x: Tensor): Tensor {
  return wrap(call('silu', '', x.handle));
}

export function sigmoid(x: Tensor): Tensor {
  return wrap(call('sigmoid', '', x.handle));
}

export function tanh(x: Tensor): Tensor {
  return wrap(call('tanh', '', x.handle));
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return wrap(call('leaky_relu', '', x.handle, { float: negativeSlope }));
}

export function softmax(x: Tensor, dim: number): Tensor {
  return wrap(call('softmax', 'int', x.handle, dim, null));
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return wrap(call('log_softmax', 'int', x.handle, dim, null));
}

/** Inverted dropout: zeroes with probability p and scales survivors by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, got ${p}`);
  return wrap(call('dropout', '', x.handle, p, training));
}

export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  o: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean } = {},
): Tensor {
  return wrap(
    call('max_pool2d', '', x.handle, kernelSize, o.stride ?? kernelSize, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false),
  );
}

export function avgPool2d(
  x: Tensor,
  kernelSize: Pair,
  o: { stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number } = {},
): Tensor {
  return wrap(
    call(
      'avg_pool2d',
      '',
      x.handle,
      kernelSize,
      o.stride ?? kernelSize,
      o.padding ?? 0,
      o.ceilMode ?? false,
      o.countIncludePad ?? true,
      o.divisorOverride ?? null,
    ),
  );
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  return wrap(call('adaptive_avg_pool2d', '', x.handle, outputSize));
}

export type InterpolateMode = 'nearest' | 'bilinear' | 'bicubic';

/** Resizes `(N, C, H, W)` to `size` or by `scaleFactor`, as `F.interpolate`. */
export function interpolate(
  x: Tensor,
  o: {
    size?: Pair;
    scaleFactor?: number | [number, number];
    mode?: InterpolateMode;
    alignCorners?: boolean;
    antialias?: boolean;
  },
): Tensor {
  const mode = o.mode ?? 'nearest';
  const size = o.size === undefined ? null : typeof o.size === 'number' ? [o.size, o.size] : o.size;
  const scales =
    o.scaleFactor === undefined ? null : typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
  if ((size === null) === (scales === null)) throw new TypeError('interpolate: give exactly one of size or scaleFactor');
  if (mode === 'nearest') {
    if (o.alignCorners !== undefined) throw new TypeError("interpolate: alignCorners only applies to 'bilinear' and 'bicubic'");
    return wrap(call('upsample_nearest2d', 'vec', x.handle, size, scales));
  }
  const align = o.alignCorners ?? false;
  if (o.antialias) {
    return wrap(call(`_upsample_${mode}2d_aa`, 'vec', x.handle, size, align, scales));
  }
  return wrap(call(`upsample_${mode}2d`, 'vec', x.handle, size, align, scales));
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Pads the last dims: `pad` lists (left, right, top, bottom, …) as in PyTorch. */
export function pad(x: Tensor, padding: number[], o: { mode?: PadMode; value?: number } = {}): Tensor {
  const mode = o.mode ?? 'constant';
  if (padding.length % 2 !== 0) throw new TypeError(`pad: padding length must be even, got ${padding.length}`);
  if (mode === 'constant') return wrap(call('constant_pad_nd', '', x.handle, padding, { float: o.value ?? 0 }));
  const n = padding.length / 2;
  if (mode === 'circular') {
    // Circular padding is a concatenation of wrapped slices; done per padded dim.
    let cur = x;
    for (let i = 0; i < n; i++) {
      const dim = x.dim() - 1 - i;
      const [left, right] = [padding[2 * i], padding[2 * i + 1]];
      const size = cur.size(dim) as number;
      const parts: Tensor[] = [];
      if (left > 0) parts.push(cur.narrow(dim, size - left, left));
      parts.push(cur);
      if (right > 0) parts.push(cur.narrow(dim, 0, right));
      const next = wrap(
        call(
          'cat',
          '',
          parts.map((p) => p.handle),
          dim,
        ),
      );
      for (const p of parts) if (p !== cur) p.dispose();
      if (cur !== x) cur.dispose();
      cur = next;
    }
    return cur === x ? x.clone() : cur;
  }
  const op = mode === 'reflect' ? 'reflection_pad' : 'replication_pad';
  if (n < 1 || n > 3) throw new TypeError(`pad: ${mode} padding supports 1 to 3 dims, got ${n}`);
  return wrap(call(`${op}${n}d`, '', x.handle, padding));
}

/** im2col: `(N, C, H, W)` → `(N, C·kH·kW, L)`. */
export function unfold(x: Tensor, kernelSize: Pair, o: { dilation?: Pair; padding?: Pair; stride?: Pair } = {}): Tensor {
  const k = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  const two = (v: Pair | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  return wrap(call('im2col', '', x.handle, k, two(o.dilation, 1), two(o.padding, 0), two(o.stride, 1)));
}

/** col2im: `(N, C·kH·kW, L)` → `(N, C, H, W)`, summing overlaps. */
export function fold(
  x: Tensor,
  outputSize: Pair,
  kernelSize: Pair,
  o: { dilation?: Pair; padding?: Pair; stride?: Pair } = {},
): Tensor {
  const two = (v: Pair | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  return wrap(
    call('col2im', '', x.handle, two(outputSize, 0), two(kernelSize, 0), two(o.dilation, 1), two(o.padding, 0), two(o.stride, 1)),
  );
}

export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  return wrap(call('pixel_shuffle', '', x.handle, upscaleFactor));
}

export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  return wrap(call('pixel_unshuffle', '', x.handle, downscaleFactor));
}

/**
 * Cross entropy of logits `(N, C)` (or `(N, C, d…)`) against class indices `(N)` or class
 * probabilities `(N, C)`; label smoothing and ignore index as in PyTorch.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {},
): Tensor {
  return wrap(
    call(
      'cross_entropy_loss',
      '',
      input.handle,
      target.handle,
      h(o.weight),
      reduction(o.reduction),
      o.ignoreIndex ?? -100,
      o.labelSmoothing ?? 0,
    ),
  );
}

export function nllLoss(
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  return wrap(call('nll_loss_nd', '', input.handle, target.handle, h(o.weight), reduction(o.reduction), o.ignoreIndex ?? -100));
}

export function mseLoss(input: Tensor, target: Tensor, o: { reduction?: Reduction } = {}): Tensor {
  return wrap(call('mse_loss', '', input.handle, target.handle, reduction(o.reduction)));
}

export function l1Loss(input: Tensor, target: Tensor, o: { reduction?: Reduction } = {}): Tensor {
  return wrap(call('l1_loss', '', input.handle, target.handle, reduction(o.reduction)));
}

/** Huber-like loss: quadratic below `beta`, linear above. */
export function smoothL1Loss(input: Tensor, target: Tensor, o: { reduction?: Reduction; beta?: number } = {}): Tensor {
  return wrap(call('smooth_l1_loss', '', input.handle, target.handle, reduction(o.reduction), o.beta ?? 1));
}

export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return wrap(
    call(
      'binary_cross_entropy_with_logits',
      '',
      input.handle,
      target.handle,
      h(o.weight),
      h(o.posWeight),
      reduction(o.reduction),
    ),
  );
}

export function cosineSimilarity(x1: Tensor, x2: Tensor, o: { dim?: number; eps?: number } = {}): Tensor {
  return wrap(call('cosine_similarity', '', x1.handle, x2.handle, o.dim ?? 1, o.eps ?? 1e-8));
}

/** x / max(‖x‖_p, eps) along `dim` (`F.normalize`). */
export function normalize(x: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const norm = wrap(call('linalg_vector_norm', '', x.handle, { float: o.p ?? 2 }, [o.dim ?? 1], true));
  const clamped = wrap(call('clamp_min', '', norm.handle, { float: o.eps ?? 1e-12 }));
  norm.dispose();
  const out = wrap(call('div', 'Tensor', x.handle, clamped.handle));
  clamped.dispose();
  return out;
}

/** Integer class indices → one-hot int64 rows (`numClasses` inferred when -1). */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  return wrap(call('one_hot', '', indices.handle, numClasses));
}

export function embedding(input: Tensor, weight: Tensor, o: { paddingIdx?: number } = {}): Tensor {
  return wrap(call('embedding', '', weight.handle, input.handle, o.paddingIdx ?? -1, false, false));
}

/**
 * softmax(q kᵀ · scale + mask) v with q `(…, L, E)`, k `(…, S, E)`, v `(…, S, Ev)`; a bool mask
 * marks positions that take part. Uses libtorch's fused kernel where it has one.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  o: { attnMask?: Tensor | null; dropoutP?: number; isCausal?: boolean; scale?: number } = {},
): Tensor {
  const dropoutP = o.dropoutP ?? 0;
  if (o.scale === undefined && hasOp('scaled_dot_product_attention')) {
    return wrap(
      call('scaled_dot_product_attention', '', q.handle, k.handle, v.handle, h(o.attnMask), dropoutP, o.isCausal ?? false),
    );
  }
  // libtorch 1.13 (or a custom scale): the composite formula.
  return tidy(() => {
    const e = q.size(-1) as number;
    const scale = o.scale ?? 1 / Math.sqrt(e);
    let s = q.matmul(k.transpose(-2, -1)).mul({ float: scale });
    if (o.isCausal) {
      const L = q.size(-2) as number;
      const S = k.size(-2) as number;
      const allowed = wrap(call('tril', '', wrap(call('ones', '', [L, S], 11)).handle, 0));
      s = s.maskedFill(allowed.logicalNot(), -Infinity);
    }
    if (o.attnMask) s = o.attnMask.dtype === 'bool' ? s.maskedFill(o.attnMask.logicalNot(), -Infinity) : s.add(o.attnMask);
    let p = softmax(s, -1);
    if (dropoutP > 0) p = dropout(p, dropoutP, true);
    return p.matmul(v);
  });
}
