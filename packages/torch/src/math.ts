/**
 * Top-level tensor functions (`torch.cat`, `torch.where`, `torch.exp(x)`, …). Most delegate to
 * the Tensor method of the same name so that one piece of code holds each operator's mapping.
 */
import { native } from './native.js';
import { opId } from './opcache.js';
import type { DType } from './dtype.js';
import { type Scalar, type Tensor, type TensorOrScalar, wrap } from './tensor.js';

/** Concatenates along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(
    native.call(
      opId('cat'),
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}

/** Stacks along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(
    native.call(
      opId('stack'),
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}

/** Elementwise `condition ? x : y` with broadcasting; x or y may be scalars. */
export function where(condition: Tensor, x: TensorOrScalar, y: TensorOrScalar): Tensor {
  const isT = (v: TensorOrScalar): v is Tensor => typeof v === 'object' && 'handle' in v;
  if (isT(x) && isT(y)) return wrap(native.call(opId('where', 'self'), condition.handle, x.handle, y.handle));
  if (isT(x)) return wrap(native.call(opId('where', 'ScalarOther'), condition.handle, x.handle, y));
  if (isT(y)) return wrap(native.call(opId('where', 'ScalarSelf'), condition.handle, x, y.handle));
  return wrap(native.call(opId('where', 'Scalar'), condition.handle, x, y));
}

/** Einstein summation, `einsum('nc,mc->nm', a, b)`. */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return wrap(
    native.call(
      opId('einsum'),
      equation,
      operands.map((t) => t.handle),
    ),
  );
}

export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
export const mm = (a: Tensor, b: Tensor): Tensor => a.mm(b);
export const bmm = (a: Tensor, b: Tensor): Tensor => a.bmm(b);
export const add = (a: Tensor, b: TensorOrScalar, o: { alpha?: Scalar } = {}): Tensor => a.add(b, o);
export const sub = (a: Tensor, b: TensorOrScalar, o: { alpha?: Scalar } = {}): Tensor => a.sub(b, o);
export const mul = (a: Tensor, b: TensorOrScalar): Tensor => a.mul(b);
export const div = (a: Tensor, b: TensorOrScalar, o: { roundingMode?: 'trunc' | 'floor' } = {}): Tensor => a.div(b, o);
export const pow = (a: Tensor, b: TensorOrScalar): Tensor => a.pow(b);
export const neg = (x: Tensor): Tensor => x.neg();
export const abs = (x: Tensor): Tensor => x.abs();
export const exp = (x: Tensor): Tensor => x.exp();
export const log = (x: Tensor): Tensor => x.log();
export const sqrt = (x: Tensor): Tensor => x.sqrt();
export const sin = (x: Tensor): Tensor => x.sin();
export const cos = (x: Tensor): Tensor => x.cos();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const relu = (x: Tensor): Tensor => x.relu();
export const clamp = (x: Tensor, o: { min?: TensorOrScalar | null; max?: TensorOrScalar | null }): Tensor => x.clamp(o);
export const maximum = (a: Tensor, b: Tensor): Tensor => a.maximum(b);
export const minimum = (a: Tensor, b: Tensor): Tensor => a.minimum(b);
export const sum = (x: Tensor, dim?: number | number[] | null, o: { keepdim?: boolean; dtype?: DType } = {}): Tensor =>
  x.sum(dim, o);
export const mean = (x: Tensor, dim?: number | number[] | null, o: { keepdim?: boolean; dtype?: DType } = {}): Tensor =>
  x.mean(dim, o);
export const std = (x: Tensor, dim?: number | number[] | null, o: { correction?: number; keepdim?: boolean } = {}): Tensor =>
  x.std(dim, o);
export const variance = (x: Tensor, dim?: number | number[] | null, o: { correction?: number; keepdim?: boolean } = {}): Tensor =>
  x.var(dim, o);
export const logsumexp = (x: Tensor, dim: number | number[], o: { keepdim?: boolean } = {}): Tensor => x.logsumexp(dim, o);
export const argmax = (x: Tensor, dim?: number, o: { keepdim?: boolean } = {}): Tensor => x.argmax(dim, o);
export const argmin = (x: Tensor, dim?: number, o: { keepdim?: boolean } = {}): Tensor => x.argmin(dim, o);
export const norm = (x: Tensor, p = 2, dim?: number | number[] | null, o: { keepdim?: boolean } = {}): Tensor =>
  x.norm(p, dim, o);
export const topk = (x: Tensor, k: number, o: { dim?: number; largest?: boolean; sorted?: boolean } = {}) => x.topk(k, o);
export const sort = (x: Tensor, o: { dim?: number; descending?: boolean; stable?: boolean } = {}) => x.sort(o);
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor => x.flatten(startDim, endDim);
export const reshape = (x: Tensor, shape: number[]): Tensor => x.reshape(shape);
export const transpose = (x: Tensor, d0: number, d1: number): Tensor => x.transpose(d0, d1);
export const permute = (x: Tensor, order: number[]): Tensor => x.permute(order);
export const split = (x: Tensor, size: number | number[], dim = 0): Tensor[] => x.split(size, dim);
export const chunk = (x: Tensor, chunks: number, dim = 0): Tensor[] => x.chunk(chunks, dim);
export const gather = (x: Tensor, dim: number, index: Tensor): Tensor => x.gather(dim, index);
export const indexSelect = (x: Tensor, dim: number, index: Tensor): Tensor => x.indexSelect(dim, index);
export const allclose = (a: Tensor, b: Tensor, o: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean =>
  a.allclose(b, o);
export const equal = (a: Tensor, b: Tensor): boolean => a.equal(b);
export const isnan = (x: Tensor): Tensor => x.isnan();
export const isfinite = (x: Tensor): Tensor => x.isfinite();
