/** Tensor creation: from JS data, filled, ranges, random (PyTorch's factory functions). */
import { type DType, dtypeCode, dtypeOfTypedArray, toDType } from './dtype.js';
import { native } from './native.js';
import { opId } from './opcache.js';
import type { Generator } from './random.js';
import { type Device, type Scalar, type Tensor, wrap } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

type Nested = number | boolean | Nested[];

function finish(t: Tensor, o: TensorOptions): Tensor {
  if (o.requiresGrad) native.setRequiresGrad(t.handle, true);
  return t;
}

function dt(o: TensorOptions): number | undefined {
  return o.dtype === undefined ? undefined : dtypeCode(o.dtype);
}

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flatten(data: Nested, shape: number[], level: number, out: (number | boolean)[], path: string): void {
  if (level === shape.length) {
    if (Array.isArray(data)) throw new TypeError(`tensor(): ragged nested array at ${path || 'root'}: expected a number`);
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new TypeError(`tensor(): element at ${path || 'root'} is ${typeof data}, expected a number or boolean`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[level]) {
    throw new TypeError(`tensor(): ragged nested array at ${path || 'root'}: expected length ${shape[level]}`);
  }
  for (let i = 0; i < data.length; i++) flatten(data[i], shape, level + 1, out, `${path}[${i}]`);
}

/** Bytes of `values` laid out as `dtype` (the values are converted like PyTorch would). */
function packValues(values: (number | boolean)[], dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float64':
      return Float64Array.from(values, Number);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(Number(v))));
    case 'int32':
      return Int32Array.from(values, Number);
    case 'int16':
      return Int16Array.from(values, Number);
    case 'int8':
      return Int8Array.from(values, Number);
    case 'uint8':
      return Uint8Array.from(values, Number);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      return Float32Array.from(values, Number);
  }
}

/**
 * `torch.tensor`: from nested arrays (dtype inferred as PyTorch does: booleans → bool, all
 * integers → int64 unless `requiresGrad`, otherwise float32) or from a typed array (its own dtype; `shape` optional).
 */
export function tensor(data: Nested | ArrayBufferView, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  let t: Tensor;
  if (ArrayBuffer.isView(data)) {
    const shape = opts.shape ?? [(data as unknown as { length: number }).length];
    t = wrap(native.fromBuffer(data, dtypeCode(dtypeOfTypedArray(data)), shape));
  } else {
    const shape = inferShape(data);
    const flat: (number | boolean)[] = [];
    flatten(data, shape, 0, flat, '');
    let inferred: DType = 'float32';
    // JS cannot tell 1.0 from 1: a tensor that requires grad must be floating, so integers then infer float32.
    if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) inferred = 'bool';
    else if (!opts.requiresGrad && flat.length > 0 && flat.every((v) => typeof v === 'number' && Number.isInteger(v)))
      inferred = 'int64';
    const target = opts.dtype ? toDType(opts.dtype) : inferred;
    const packAs: DType = target === 'float16' || target === 'bfloat16' || target.startsWith('complex') ? 'float64' : target;
    // An explicit shape reshapes the nested data (as the typed-array path does); it must hold them all.
    let outShape = shape;
    if (opts.shape) {
      const n = opts.shape.reduce((a, b) => a * b, 1);
      if (n !== flat.length)
        throw new RangeError(`tensor: shape [${opts.shape}] holds ${n} values but the data has ${flat.length}`);
      outShape = opts.shape;
    }
    t = wrap(native.fromBuffer(packValues(flat, packAs), dtypeCode(packAs), outShape));
  }
  if ((opts.dtype && t.dtype !== toDType(opts.dtype)) || (opts.device && opts.device !== 'cpu')) {
    const moved = t.to({ dtype: opts.dtype ? toDType(opts.dtype) : t.dtype, device: opts.device ?? 'cpu' });
    t.dispose();
    t = moved;
  }
  return finish(t, opts);
}

/**
 * A tensor over a copy of raw little-endian bytes (safetensors / .pth storages); a list of parts is
 * joined in order with one copy (the DataLoader's chunks from its worker threads).
 */
export function fromBytes(
  bytes: ArrayBufferView | ArrayBuffer | (ArrayBufferView | ArrayBuffer)[],
  dtype: DType,
  shape: number[],
): Tensor {
  return wrap(native.fromBuffer(bytes, dtypeCode(dtype), shape));
}

export function zeros(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('zeros'), shape, dt(opts), undefined, opts.device)), opts);
}

export function ones(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('ones'), shape, dt(opts), undefined, opts.device)), opts);
}

export function empty(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('empty', 'memory_format'), shape, dt(opts), undefined, opts.device)), opts);
}

/** `torch.full`; an integral `value` without `dtype` gives int64, as in PyTorch ≥ 1.8. */
export function full(shape: number[], value: Scalar, opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('full'), shape, value, dt(opts), undefined, opts.device)), opts);
}

/** `arange(end)` or `arange(start, end, step)`; integers give int64, any float gives float32. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  return finish(wrap(native.call(opId('arange', 'start_step'), s, e, step, dt(opts), undefined, opts.device)), opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return finish(
    wrap(native.call(opId('linspace'), { float: start }, { float: end }, steps, dt(opts), undefined, opts.device)),
    opts,
  );
}

export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('eye', 'm'), n, m, dt(opts), undefined, opts.device)), opts);
}

export function randn(shape: number[], opts: RandomOptions = {}): Tensor {
  return finish(
    wrap(native.call(opId('randn', 'generator'), shape, opts.generator?.id ?? null, dt(opts), undefined, opts.device)),
    opts,
  );
}

export function rand(shape: number[], opts: RandomOptions = {}): Tensor {
  return finish(
    wrap(native.call(opId('rand', 'generator'), shape, opts.generator?.id ?? null, dt(opts), undefined, opts.device)),
    opts,
  );
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: RandomOptions = {}): Tensor {
  return finish(
    wrap(
      native.call(
        opId('randint', 'low_generator'),
        low,
        high,
        shape,
        opts.generator?.id ?? null,
        dt(opts) ?? dtypeCode('int64'),
        undefined,
        opts.device,
      ),
    ),
    opts,
  );
}

export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  return finish(
    wrap(
      native.call(
        opId('randperm', 'generator'),
        n,
        opts.generator?.id ?? null,
        dt(opts) ?? dtypeCode('int64'),
        undefined,
        opts.device,
      ),
    ),
    opts,
  );
}

function likeCall(name: string, t: Tensor, opts: TensorOptions, extra: unknown[] = []): Tensor {
  return finish(wrap(native.call(opId(name), t.handle, ...extra, dt(opts), undefined, opts.device)), opts);
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return likeCall('zeros_like', t, opts);
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return likeCall('ones_like', t, opts);
}
export function emptyLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return likeCall('empty_like', t, opts);
}
export function fullLike(t: Tensor, value: Scalar, opts: TensorOptions = {}): Tensor {
  return likeCall('full_like', t, opts, [value]);
}
export function randnLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return likeCall('randn_like', t, opts);
}
export function randLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return likeCall('rand_like', t, opts);
}

/** The 0-d tensor of a number (`torch.scalar_tensor`). */
export function scalarTensor(v: number, opts: TensorOptions = {}): Tensor {
  return finish(wrap(native.call(opId('scalar_tensor'), { float: v }, dt(opts), undefined, opts.device)), opts);
}
