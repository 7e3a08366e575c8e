/**
 * Tensor: a thin JS object around an integer handle into the addon's slot table. PyTorch's
 * names and semantics, camelCased; keyword arguments as one trailing options object.
 */
import {
  type DType,
  dtypeCode,
  dtypeFromCode,
  isFloatingPoint,
  MEMORY_FORMAT_CODE,
  type MemoryFormat,
  type TypedArray,
  typedArrayFor,
} from './dtype.js';
import { type Handle, native, type NativeValue } from './native.js';
import { opId } from './opcache.js';
import { track, untrackFinalizer } from './scope.js';
import { formatTensor } from './format.js';

/** A scalar accepted where PyTorch takes a Python number. `{ float: x }` forces a float scalar. */
export type Scalar = number | boolean | { float: number };
export type TensorOrScalar = Tensor | Scalar;
export type Device = string;

/** Index spec for `t.index(...)`: PyTorch's `t[...]` items. */
export type IndexSpec = number | null | '...' | ':' | string | Slice | Tensor;
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/** `torch.slice(1, 5, 2)` ≡ Python's `1:5:2`. */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { start, stop, step };
}

function call(name: string, overload: string, ...args: unknown[]): NativeValue {
  return native.call(opId(name, overload), ...args);
}

/** Wraps the handle a native call returned. */
export function wrap(h: NativeValue): Tensor {
  return new Tensor(h as Handle);
}

function wrapOpt(h: NativeValue): Tensor | null {
  return h === null || h === undefined ? null : new Tensor(h as Handle);
}

function wrapMany(hs: NativeValue): Tensor[] {
  return (hs as Handle[]).map((h) => new Tensor(h));
}

function dims(args: (number | number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
}

function reductionDims(dim: number | number[] | undefined | null): number[] | undefined {
  if (dim === undefined || dim === null) return undefined;
  return Array.isArray(dim) ? dim : [dim];
}

function parseSliceString(s: string): Slice {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) throw new TypeError(`bad slice '${s}': expected 'start:stop[:step]'`);
  const num = (p: string | undefined) => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new TypeError(`bad slice '${s}': '${p}' is not an integer`);
    return v;
  };
  return { start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) };
}

export class Tensor implements Disposable {
  private _h: Handle;
  /** Survives enclosing `tidy` scopes (set by `torch.keep`). */
  kept = false;

  /** @internal Use the creation functions; this wraps a native handle and takes ownership. */
  constructor(handle: Handle) {
    this._h = handle;
    track(this, handle);
  }

  /** The native handle; throws once the tensor has been disposed. */
  get handle(): Handle {
    if (this._h < 0) throw new Error('Tensor used after dispose()');
    return this._h;
  }

  /** @internal */
  handleForFinalizer(): Handle {
    return this._h;
  }

  get isDisposed(): boolean {
    return this._h < 0;
  }

  /** Frees the native tensor now. Views of it stay valid (libtorch refcounts the storage). */
  dispose(): void {
    if (this._h < 0) return;
    untrackFinalizer(this);
    native.free(this._h);
    this._h = -1;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- metadata -------------------------------------------------------------------------------
  get shape(): number[] {
    return native.shape(this.handle);
  }
  size(dim?: number): number | number[] {
    const s = native.shape(this.handle);
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size: dim ${dim} out of range for a ${s.length}-d tensor`);
    return s[d];
  }
  stride(): number[] {
    return native.strides(this.handle);
  }
  get dtype(): DType {
    return dtypeFromCode(native.dtype(this.handle));
  }
  get device(): Device {
    return native.device(this.handle);
  }
  get ndim(): number {
    return native.dim(this.handle);
  }
  dim(): number {
    return native.dim(this.handle);
  }
  numel(): number {
    return native.numel(this.handle);
  }
  isContiguous(memoryFormat: MemoryFormat = 'contiguous'): boolean {
    return native.isContiguous(this.handle, MEMORY_FORMAT_CODE[memoryFormat]);
  }
  isFloatingPoint(): boolean {
    return isFloatingPoint(this.dtype);
  }
  storageOffset(): number {
    return native.storageOffset(this.handle);
  }

  // ---- autograd -------------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(on: boolean) {
    native.setRequiresGrad(this.handle, on);
  }
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** The accumulated gradient (a new handle each read: dispose it or read it inside tidy). */
  get grad(): Tensor | null {
    return wrapOpt(native.grad(this.handle));
  }
  set grad(g: Tensor | null) {
    native.setGrad(this.handle, g === null ? null : g.handle);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** Name of the autograd node that made this tensor (`'AddBackward0'`), or null. */
  get gradFn(): string | null {
    return native.gradFn(this.handle);
  }
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }
  /** Accumulates d(this)/d(leaves) into `.grad`. `grad` defaults to 1 for a scalar. */
  backward(grad?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
    native.backward(
      [this.handle],
      [grad ? grad.handle : null],
      opts.retainGraph,
      opts.createGraph ?? false,
      opts.inputs?.map((t) => t.handle),
    );
  }
  /** Replaces this tensor's data with `other`'s, keeping identity and leaf status (`t.data = other`). */
  setData_(other: Tensor): this {
    native.setData(this.handle, other.handle);
    return this;
  }
  detach(): Tensor {
    return wrap(call('detach', '', this.handle));
  }
  detach_(): this {
    call('detach_', '', this.handle);
    return this;
  }
  isInference(): boolean {
    return native.isInference(this.handle);
  }

  // ---- conversion -----------------------------------------------------------------------------
  /** `to('float64')`, `to('cuda:0')`, `to({ dtype, device, memoryFormat, copy })`, `to(other)`. */
  to(
    x:
      | DType
      | Device
      | Tensor
      | { dtype?: DType; device?: Device; memoryFormat?: MemoryFormat; copy?: boolean; nonBlocking?: boolean },
  ): Tensor {
    let dtype: DType | undefined;
    let device: Device | undefined;
    let memoryFormat: MemoryFormat | undefined;
    let copy = false;
    let nonBlocking = false;
    if (x instanceof Tensor) {
      dtype = x.dtype;
      device = x.device;
    } else if (typeof x === 'string') {
      if (/^(cpu|cuda|mps|meta)(:\d+)?$/.test(x)) device = x;
      else dtype = x as DType;
    } else {
      ({ dtype, device, memoryFormat } = x);
      copy = x.copy ?? false;
      nonBlocking = x.nonBlocking ?? false;
    }
    const mf = memoryFormat ? MEMORY_FORMAT_CODE[memoryFormat] : undefined;
    if (device !== undefined) {
      return wrap(call('to', 'device', this.handle, device, dtypeCode(dtype ?? this.dtype), nonBlocking, copy, mf));
    }
    return wrap(call('to', 'dtype', this.handle, dtypeCode(dtype ?? this.dtype), nonBlocking, copy, mf));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }
  /** A copy in page-locked host memory (`pin_memory`) so host→GPU copies can run asynchronously; needs a CUDA libtorch. */
  pinMemory(): Tensor {
    return wrap(call('pin_memory', '', this.handle));
  }
  clone(opts: { memoryFormat?: MemoryFormat } = {}): Tensor {
    return wrap(call('clone', '', this.handle, opts.memoryFormat ? MEMORY_FORMAT_CODE[opts.memoryFormat] : undefined));
  }
  contiguous(memoryFormat: MemoryFormat = 'contiguous'): Tensor {
    return wrap(call('contiguous', '', this.handle, MEMORY_FORMAT_CODE[memoryFormat]));
  }
  /** The value of a one-element tensor. */
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  /** Flat copy of the elements in row-major order (float16/bfloat16 as raw Uint16 bits). */
  toTypedArray(): TypedArray {
    return typedArrayFor(this.dtype, native.toBuffer(this.handle));
  }
  /** Raw little-endian bytes of the contiguous tensor. */
  toBytes(): Uint8Array {
    return new Uint8Array(native.toBuffer(this.handle));
  }
  /** Nested arrays of numbers (booleans for bool tensors), like PyTorch's `tolist()`. */
  toList(): unknown {
    let flat: ArrayLike<number | boolean>;
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') {
      flat = this.to('float32').toTypedArrayAndDispose() as Float32Array;
    } else if (d === 'int64') {
      const big = this.toTypedArray() as BigInt64Array;
      const out = new Array<number>(big.length);
      for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
      flat = out;
    } else if (d === 'bool') {
      const u = this.toTypedArray() as Uint8Array;
      flat = Array.from(u, (v) => v !== 0);
    } else {
      flat = this.toTypedArray() as Float32Array;
    }
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (level: number): unknown[] => {
      const n = shape[level];
      const out = new Array<unknown>(n);
      if (level === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[pos++];
      } else {
        for (let i = 0; i < n; i++) out[i] = build(level + 1);
      }
      return out;
    };
    return build(0);
  }
  private toTypedArrayAndDispose(): TypedArray {
    const a = this.toTypedArray();
    this.dispose();
    return a;
  }

  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? 'Tensor(<disposed>)' : formatTensor(this);
  }

  // ---- views and shape ------------------------------------------------------------------------
  view(...shape: (number | number[])[]): Tensor {
    return wrap(call('view', '', this.handle, dims(shape)));
  }
  reshape(...shape: (number | number[])[]): Tensor {
    return wrap(call('reshape', '', this.handle, dims(shape)));
  }
  viewAs(other: Tensor): Tensor {
    return this.view(other.shape);
  }
  permute(...order: (number | number[])[]): Tensor {
    return wrap(call('permute', '', this.handle, dims(order)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return wrap(call('transpose', 'int', this.handle, dim0, dim1));
  }
  /** 2-D transpose (`t.t()` / `t.T` for ≤ 2-D). */
  t(): Tensor {
    return wrap(call('t', '', this.handle));
  }
  get T(): Tensor {
    return this.dim() < 2 ? this.view(this.shape) : this.permute([...Array(this.dim()).keys()].reverse());
  }
  /** The last two dims swapped (PyTorch's `mT`). */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }
  expand(...shape: (number | number[])[]): Tensor {
    return wrap(call('expand', '', this.handle, dims(shape), false));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? wrap(call('squeeze', '', this.handle)) : wrap(call('squeeze', 'dim', this.handle, dim));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(call('unsqueeze', '', this.handle, dim));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(call('flatten', 'using_ints', this.handle, startDim, endDim));
  }
  unflatten(dim: number, sizes: number[]): Tensor {
    const shape = this.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    return this.reshape([...shape.slice(0, d), ...sizes, ...shape.slice(d + 1)]);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(call('narrow', '', this.handle, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return wrap(call('select', 'int', this.handle, dim, index));
  }
  /** `t.slice(dim, start, end, step)` ≡ Python's `t[..., start:end:step]` on `dim`. */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return wrap(call('slice', 'Tensor', this.handle, dim, start ?? null, end ?? null, step));
  }
  unbind(dim = 0): Tensor[] {
    return wrapMany(call('unbind', 'int', this.handle, dim));
  }
  split(splitSize: number | number[], dim = 0): Tensor[] {
    return Array.isArray(splitSize)
      ? wrapMany(call('split_with_sizes', '', this.handle, splitSize, dim))
      : wrapMany(call('split', 'Tensor', this.handle, splitSize, dim));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapMany(call('chunk', '', this.handle, chunks, dim));
  }
  repeat(...sizes: (number | number[])[]): Tensor {
    return wrap(call('repeat', '', this.handle, dims(sizes)));
  }
  repeatInterleave(repeats: number, dim?: number): Tensor {
    return wrap(call('repeat_interleave', 'self_int', this.handle, repeats, dim));
  }
  flip(...d: (number | number[])[]): Tensor {
    return wrap(call('flip', '', this.handle, dims(d)));
  }
  roll(shifts: number | number[], dim?: number | number[]): Tensor {
    return wrap(call('roll', '', this.handle, Array.isArray(shifts) ? shifts : [shifts], reductionDims(dim) ?? []));
  }
  asStrided(size: number[], stride: number[], storageOffset?: number): Tensor {
    return wrap(call('as_strided', '', this.handle, size, stride, storageOffset));
  }

  // ---- indexing -------------------------------------------------------------------------------
  /**
   * PyTorch's `t[...]`: numbers select, `':'`/`'a:b:c'`/`slice()` slice, `null` adds a dim,
   * `'...'` skips dims, a bool tensor masks and an int64 tensor gathers (advanced indexing).
   */
  index(...spec: IndexSpec[]): Tensor {
    const { view, tensors } = this.basicIndex(spec);
    if (tensors.length === 0) return view;
    const out = wrap(
      call(
        'index',
        'Tensor',
        view.handle,
        tensors.map((t) => (t ? t.handle : null)),
      ),
    );
    view.dispose();
    return out;
  }
  /** PyTorch's `t[...] = value` (in place). */
  indexPut_(spec: IndexSpec[], value: TensorOrScalar, accumulate = false): this {
    const { view, tensors } = this.basicIndex(spec);
    try {
      if (tensors.length === 0) {
        if (value instanceof Tensor) call('copy_', '', view.handle, value.handle, false);
        else call('fill_', 'Scalar', view.handle, value);
      } else {
        const v = value instanceof Tensor ? value : scalarLike(value, view);
        try {
          call(
            'index_put_',
            '',
            view.handle,
            tensors.map((t) => (t ? t.handle : null)),
            v.handle,
            accumulate,
          );
        } finally {
          if (v !== value) v.dispose();
        }
      }
    } finally {
      view.dispose();
    }
    return this;
  }
  private basicIndex(spec: IndexSpec[]): { view: Tensor; tensors: (Tensor | null)[] } {
    let cur = wrap(native.alias(this.handle));
    const tensors: (Tensor | null)[] = [];
    let dim = 0;
    let used = 0;
    for (const s of spec) {
      if (s === null || s === '...') continue;
      if (s instanceof Tensor && s.dtype === 'bool') used += s.dim();
      else used += 1;
    }
    const replace = (next: Tensor) => {
      cur.dispose();
      cur = next;
    };
    const padTo = (d: number) => {
      while (tensors.length < d) tensors.push(null);
    };
    for (const s of spec) {
      if (typeof s === 'number') {
        replace(cur.select(dim, s));
      } else if (s === null) {
        replace(cur.unsqueeze(dim));
        dim += 1;
      } else if (s === '...') {
        // The ellipsis stands for every original dim no other spec consumes.
        dim += this.dim() - used;
      } else if (typeof s === 'string') {
        const sl = s === ':' ? {} : parseSliceString(s);
        replace(cur.slice(dim, sl.start, sl.stop, sl.step ?? 1));
        dim += 1;
      } else if (s instanceof Tensor) {
        padTo(dim);
        tensors.push(s);
        dim += s.dtype === 'bool' ? s.dim() : 1;
        if (s.dtype === 'bool') for (let i = 1; i < s.dim(); i++) tensors.push(null);
      } else {
        replace(cur.slice(dim, s.start, s.stop, s.step ?? 1));
        dim += 1;
      }
    }
    // A bool mask covering k dims is one entry in aten::index, not k.
    const compact: (Tensor | null)[] = [];
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      compact.push(t);
      if (t && t.dtype === 'bool') i += t.dim() - 1;
    }
    return { view: cur, tensors: compact.some((t) => t !== null) ? compact : [] };
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(call('index_select', '', this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return wrap(call('gather', '', this.handle, dim, index.handle, false));
  }
  scatter(dim: number, index: Tensor, src: TensorOrScalar, opts: { reduce?: 'add' | 'multiply' } = {}): Tensor {
    if (src instanceof Tensor) {
      return opts.reduce
        ? wrap(call('scatter', 'reduce', this.handle, dim, index.handle, src.handle, opts.reduce))
        : wrap(call('scatter', 'src', this.handle, dim, index.handle, src.handle));
    }
    return opts.reduce
      ? wrap(call('scatter', 'value_reduce', this.handle, dim, index.handle, src, opts.reduce))
      : wrap(call('scatter', 'value', this.handle, dim, index.handle, src));
  }
  scatter_(dim: number, index: Tensor, src: TensorOrScalar): this {
    if (src instanceof Tensor) call('scatter_', 'src', this.handle, dim, index.handle, src.handle);
    else call('scatter_', 'value', this.handle, dim, index.handle, src);
    return this;
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(call('scatter_add', '', this.handle, dim, index.handle, src.handle));
  }
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    call('scatter_add_', '', this.handle, dim, index.handle, src.handle);
    return this;
  }
  indexAdd(dim: number, index: Tensor, source: Tensor, alpha: Scalar = 1): Tensor {
    return wrap(call('index_add', '', this.handle, dim, index.handle, source.handle, alpha));
  }
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return value instanceof Tensor
      ? wrap(call('masked_fill', 'Tensor', this.handle, mask.handle, value.handle))
      : wrap(call('masked_fill', 'Scalar', this.handle, mask.handle, value));
  }
  maskedFill_(mask: Tensor, value: Scalar): this {
    call('masked_fill_', 'Scalar', this.handle, mask.handle, value);
    return this;
  }
  maskedSelect(mask: Tensor): Tensor {
    return wrap(call('masked_select', '', this.handle, mask.handle));
  }
  nonzero(): Tensor {
    return wrap(call('nonzero', '', this.handle));
  }

  // ---- arithmetic -----------------------------------------------------------------------------
  private binary(name: string, other: TensorOrScalar, extra: unknown[] = []): Tensor {
    return other instanceof Tensor
      ? wrap(call(name, 'Tensor', this.handle, other.handle, ...extra))
      : wrap(call(name, 'Scalar', this.handle, other, ...extra));
  }
  private binaryInplace(name: string, other: TensorOrScalar, extra: unknown[] = []): this {
    if (other instanceof Tensor) call(name, 'Tensor', this.handle, other.handle, ...extra);
    else call(name, 'Scalar', this.handle, other, ...extra);
    return this;
  }
  add(other: TensorOrScalar, opts: { alpha?: Scalar } = {}): Tensor {
    return this.binary('add', other, [opts.alpha]);
  }
  add_(other: TensorOrScalar, opts: { alpha?: Scalar } = {}): this {
    return this.binaryInplace('add_', other, [opts.alpha]);
  }
  sub(other: TensorOrScalar, opts: { alpha?: Scalar } = {}): Tensor {
    return this.binary('sub', other, [opts.alpha]);
  }
  sub_(other: TensorOrScalar, opts: { alpha?: Scalar } = {}): this {
    return this.binaryInplace('sub_', other, [opts.alpha]);
  }
  /** `other - this` (Python's `other - t` for a scalar `other`). */
  rsub(other: TensorOrScalar): Tensor {
    return this.binary('rsub', other);
  }
  mul(other: TensorOrScalar): Tensor {
    return this.binary('mul', other);
  }
  mul_(other: TensorOrScalar): this {
    return this.binaryInplace('mul_', other);
  }
  div(other: TensorOrScalar, opts: { roundingMode?: 'trunc' | 'floor' } = {}): Tensor {
    if (opts.roundingMode) {
      return other instanceof Tensor
        ? wrap(call('div', 'Tensor_mode', this.handle, other.handle, opts.roundingMode))
        : wrap(call('div', 'Scalar_mode', this.handle, other, opts.roundingMode));
    }
    return this.binary('div', other);
  }
  div_(other: TensorOrScalar): this {
    return this.binaryInplace('div_', other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return this.binary('remainder', other);
  }
  floorDivide(other: TensorOrScalar): Tensor {
    return this.div(other, { roundingMode: 'floor' });
  }
  pow(exponent: TensorOrScalar): Tensor {
    return exponent instanceof Tensor
      ? wrap(call('pow', 'Tensor_Tensor', this.handle, exponent.handle))
      : wrap(call('pow', 'Tensor_Scalar', this.handle, exponent));
  }
  pow_(exponent: TensorOrScalar): this {
    if (exponent instanceof Tensor) call('pow_', 'Tensor', this.handle, exponent.handle);
    else call('pow_', 'Scalar', this.handle, exponent);
    return this;
  }
  matmul(other: Tensor): Tensor {
    return wrap(call('matmul', '', this.handle, other.handle));
  }
  mm(other: Tensor): Tensor {
    return wrap(call('mm', '', this.handle, other.handle));
  }
  bmm(other: Tensor): Tensor {
    return wrap(call('bmm', '', this.handle, other.handle));
  }
  dot(other: Tensor): Tensor {
    return wrap(call('dot', '', this.handle, other.handle));
  }
  addmm(mat1: Tensor, mat2: Tensor, opts: { beta?: Scalar; alpha?: Scalar } = {}): Tensor {
    return wrap(call('addmm', '', this.handle, mat1.handle, mat2.handle, opts.beta, opts.alpha));
  }
  addcmul_(t1: Tensor, t2: Tensor, value: Scalar = 1): this {
    call('addcmul_', '', this.handle, t1.handle, t2.handle, value);
    return this;
  }
  addcdiv_(t1: Tensor, t2: Tensor, value: Scalar = 1): this {
    call('addcdiv_', '', this.handle, t1.handle, t2.handle, value);
    return this;
  }
  lerp_(end: Tensor, weight: TensorOrScalar): this {
    if (weight instanceof Tensor) call('lerp_', 'Tensor', this.handle, end.handle, weight.handle);
    else call('lerp_', 'Scalar', this.handle, end.handle, weight);
    return this;
  }
  private unary(name: string): Tensor {
    return wrap(call(name, '', this.handle));
  }
  private unaryInplace(name: string): this {
    call(name, '', this.handle);
    return this;
  }
  neg(): Tensor {
    return this.unary('neg');
  }
  neg_(): this {
    return this.unaryInplace('neg_');
  }
  abs(): Tensor {
    return this.unary('abs');
  }
  sign(): Tensor {
    return this.unary('sign');
  }
  exp(): Tensor {
    return this.unary('exp');
  }
  exp_(): this {
    return this.unaryInplace('exp_');
  }
  expm1(): Tensor {
    return this.unary('expm1');
  }
  log(): Tensor {
    return this.unary('log');
  }
  log_(): this {
    return this.unaryInplace('log_');
  }
  log2(): Tensor {
    return this.unary('log2');
  }
  log10(): Tensor {
    return this.unary('log10');
  }
  log1p(): Tensor {
    return this.unary('log1p');
  }
  sqrt(): Tensor {
    return this.unary('sqrt');
  }
  sqrt_(): this {
    return this.unaryInplace('sqrt_');
  }
  rsqrt(): Tensor {
    return this.unary('rsqrt');
  }
  square(): Tensor {
    return this.unary('square');
  }
  reciprocal(): Tensor {
    return this.unary('reciprocal');
  }
  sin(): Tensor {
    return this.unary('sin');
  }
  cos(): Tensor {
    return this.unary('cos');
  }
  tan(): Tensor {
    return this.unary('tan');
  }
  atan(): Tensor {
    return this.unary('atan');
  }
  tanh(): Tensor {
    return this.unary('tanh');
  }
  sigmoid(): Tensor {
    return this.unary('sigmoid');
  }
  relu(): Tensor {
    return this.unary('relu');
  }
  relu_(): this {
    return this.unaryInplace('relu_');
  }
  floor(): Tensor {
    return this.unary('floor');
  }
  ceil(): Tensor {
    return this.unary('ceil');
  }
  round(): Tensor {
    return this.unary('round');
  }
  trunc(): Tensor {
    return this.unary('trunc');
  }
  erf(): Tensor {
    return this.unary('erf');
  }
  erfinv_(): this {
    return this.unaryInplace('erfinv_');
  }
  clamp(opts: { min?: TensorOrScalar | null; max?: TensorOrScalar | null }): Tensor {
    if (opts.min instanceof Tensor || opts.max instanceof Tensor) {
      const h = (v: TensorOrScalar | null | undefined) => (v instanceof Tensor ? v.handle : null);
      return wrap(call('clamp', 'Tensor', this.handle, h(opts.min), h(opts.max)));
    }
    return wrap(call('clamp', '', this.handle, opts.min ?? null, opts.max ?? null));
  }
  clamp_(opts: { min?: Scalar | null; max?: Scalar | null }): this {
    call('clamp_', '', this.handle, opts.min ?? null, opts.max ?? null);
    return this;
  }
  clampMin(min: Scalar): Tensor {
    return wrap(call('clamp_min', '', this.handle, min));
  }
  clampMax(max: Scalar): Tensor {
    return wrap(call('clamp_max', '', this.handle, max));
  }
  zero_(): this {
    return this.unaryInplace('zero_');
  }
  fill_(value: TensorOrScalar): this {
    if (value instanceof Tensor) call('fill_', 'Tensor', this.handle, value.handle);
    else call('fill_', 'Scalar', this.handle, value);
    return this;
  }
  copy_(src: Tensor, nonBlocking = false): this {
    call('copy_', '', this.handle, src.handle, nonBlocking);
    return this;
  }
  uniform_(from = 0, to = 1, generator?: { id: number }): this {
    call('uniform_', '', this.handle, from, to, generator?.id ?? null);
    return this;
  }
  normal_(mean = 0, std = 1, generator?: { id: number }): this {
    call('normal_', '', this.handle, mean, std, generator?.id ?? null);
    return this;
  }
  bernoulli_(p = 0.5, generator?: { id: number }): this {
    call('bernoulli_', 'float', this.handle, p, generator?.id ?? null);
    return this;
  }

  // ---- comparisons ----------------------------------------------------------------------------
  eq(other: TensorOrScalar): Tensor {
    return this.binary('eq', other);
  }
  ne(other: TensorOrScalar): Tensor {
    return this.binary('ne', other);
  }
  lt(other: TensorOrScalar): Tensor {
    return this.binary('lt', other);
  }
  le(other: TensorOrScalar): Tensor {
    return this.binary('le', other);
  }
  gt(other: TensorOrScalar): Tensor {
    return this.binary('gt', other);
  }
  ge(other: TensorOrScalar): Tensor {
    return this.binary('ge', other);
  }
  maximum(other: Tensor): Tensor {
    return wrap(call('maximum', '', this.handle, other.handle));
  }
  minimum(other: Tensor): Tensor {
    return wrap(call('minimum', '', this.handle, other.handle));
  }
  isnan(): Tensor {
    return this.unary('isnan');
  }
  isinf(): Tensor {
    return this.unary('isinf');
  }
  isfinite(): Tensor {
    return this.unary('isfinite');
  }
  logicalNot(): Tensor {
    return this.unary('logical_not');
  }
  logicalAnd(other: Tensor): Tensor {
    return wrap(call('logical_and', '', this.handle, other.handle));
  }
  logicalOr(other: Tensor): Tensor {
    return wrap(call('logical_or', '', this.handle, other.handle));
  }
  /** True when shapes and all elements are equal. */
  equal(other: Tensor): boolean {
    return call('equal', '', this.handle, other.handle) as boolean;
  }
  allclose(other: Tensor, opts: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean {
    return call('allclose', '', this.handle, other.handle, opts.rtol, opts.atol, opts.equalNan) as boolean;
  }
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    return other instanceof Tensor
      ? wrap(call('where', 'self', condition.handle, this.handle, other.handle))
      : wrap(call('where', 'ScalarOther', condition.handle, this.handle, other));
  }

  // ---- reductions -----------------------------------------------------------------------------
  sum(dim?: number | number[] | null, opts: { keepdim?: boolean; dtype?: DType } = {}): Tensor {
    const dt = opts.dtype ? dtypeCode(opts.dtype) : undefined;
    if (dim === undefined || dim === null) {
      return opts.keepdim
        ? wrap(call('sum', 'dim_IntList', this.handle, null, true, dt))
        : wrap(call('sum', '', this.handle, dt));
    }
    return wrap(call('sum', 'dim_IntList', this.handle, reductionDims(dim), opts.keepdim ?? false, dt));
  }
  mean(dim?: number | number[] | null, opts: { keepdim?: boolean; dtype?: DType } = {}): Tensor {
    const dt = opts.dtype ? dtypeCode(opts.dtype) : undefined;
    if (dim === undefined || dim === null) {
      return opts.keepdim ? wrap(call('mean', 'dim', this.handle, null, true, dt)) : wrap(call('mean', '', this.handle, dt));
    }
    return wrap(call('mean', 'dim', this.handle, reductionDims(dim), opts.keepdim ?? false, dt));
  }
  prod(dim?: number, opts: { keepdim?: boolean } = {}): Tensor {
    return dim === undefined
      ? wrap(call('prod', '', this.handle))
      : wrap(call('prod', 'dim_int', this.handle, dim, opts.keepdim ?? false));
  }
  /** Standard deviation; `correction` 1 (default) is Bessel's, as `unbiased=True` in PyTorch. */
  std(dim?: number | number[] | null, opts: { correction?: number; unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    const c = opts.correction ?? (opts.unbiased === false ? 0 : 1);
    return wrap(call('std', 'correction', this.handle, reductionDims(dim) ?? null, c, opts.keepdim ?? false));
  }
  var(dim?: number | number[] | null, opts: { correction?: number; unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    const c = opts.correction ?? (opts.unbiased === false ? 0 : 1);
    return wrap(call('var', 'correction', this.handle, reductionDims(dim) ?? null, c, opts.keepdim ?? false));
  }
  /** `max()`: the largest element; `max(dim)`: `{ values, indices }` along `dim`. */
  max(): Tensor;
  max(dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
  max(dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(call('max', '', this.handle));
    const [v, i] = wrapMany(call('max', 'dim', this.handle, dim, opts.keepdim ?? false));
    return { values: v, indices: i };
  }
  min(): Tensor;
  min(dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
  min(dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(call('min', '', this.handle));
    const [v, i] = wrapMany(call('min', 'dim', this.handle, dim, opts.keepdim ?? false));
    return { values: v, indices: i };
  }
  amax(dim: number | number[] = [], opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('amax', '', this.handle, reductionDims(dim), opts.keepdim ?? false));
  }
  amin(dim: number | number[] = [], opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('amin', '', this.handle, reductionDims(dim), opts.keepdim ?? false));
  }
  argmax(dim?: number, opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('argmax', '', this.handle, dim ?? null, opts.keepdim ?? false));
  }
  argmin(dim?: number, opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('argmin', '', this.handle, dim ?? null, opts.keepdim ?? false));
  }
  logsumexp(dim: number | number[], opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('logsumexp', '', this.handle, reductionDims(dim), opts.keepdim ?? false));
  }
  cumsum(dim: number): Tensor {
    return wrap(call('cumsum', '', this.handle, dim));
  }
  all(dim?: number): Tensor {
    return dim === undefined ? this.unary('all') : wrap(call('all', 'dim', this.handle, dim, false));
  }
  any(dim?: number): Tensor {
    return dim === undefined ? this.unary('any') : wrap(call('any', 'dim', this.handle, dim, false));
  }
  /** Vector p-norm over `dim` (all elements by default), as `torch.linalg.vector_norm`. */
  norm(p: number = 2, dim?: number | number[] | null, opts: { keepdim?: boolean } = {}): Tensor {
    return wrap(call('linalg_vector_norm', '', this.handle, { float: p }, reductionDims(dim) ?? null, opts.keepdim ?? false));
  }
  topk(k: number, opts: { dim?: number; largest?: boolean; sorted?: boolean } = {}): { values: Tensor; indices: Tensor } {
    const [v, i] = wrapMany(call('topk', '', this.handle, k, opts.dim ?? -1, opts.largest ?? true, opts.sorted ?? true));
    return { values: v, indices: i };
  }
  sort(opts: { dim?: number; descending?: boolean; stable?: boolean } = {}): { values: Tensor; indices: Tensor } {
    const [v, i] = wrapMany(call('sort', 'stable', this.handle, opts.stable ?? false, opts.dim ?? -1, opts.descending ?? false));
    return { values: v, indices: i };
  }
  argsort(opts: { dim?: number; descending?: boolean } = {}): Tensor {
    const { values, indices } = this.sort(opts);
    values.dispose();
    return indices;
  }
}

/** A 0-d tensor holding `v` with `like`'s dtype and device. */
function scalarLike(v: Scalar, like: Tensor): Tensor {
  return wrap(call('full', '', [], v, dtypeCode(like.dtype), undefined, like.device, undefined));
}
