/**
 * Multi-tensor (`_foreach_*`) kernels used by the optimizers, with a per-tensor fallback where
 * the linked libtorch lacks an overload. One dispatcher call updates a whole list of tensors,
 * which is what makes an optimizer step in TypeScript as fast as `torch::optim` (see DESIGN.md).
 *
 * Every function is a no-op on an empty list (libtorch's foreach ops reject empty lists).
 * In-place functions return nothing; out-of-place ones return new tensors owned by the caller's scope.
 * @internal Not exported from `optim/index.ts`.
 */
import { native } from '../native.js';
import { hasOp, opId } from '../opcache.js';
import { type Tensor, wrap } from '../tensor.js';
import type { Handle } from '../native.js';

const available = new Map<string, boolean>();
let enabled = true;

/**
 * Turns the multi-tensor kernels off (every function then loops over per-tensor ops, as on a
 * libtorch without them) or back on. For tests and debugging.
 * @internal
 */
export function setForeachKernels(on: boolean): void {
  enabled = on;
}

/** Whether `aten::name.overload` exists in this libtorch (cached). */
function has(name: string, overload = ''): boolean {
  if (!enabled) return false;
  const key = `${name}.${overload}`;
  let v = available.get(key);
  if (v === undefined) {
    v = hasOp(name, overload);
    available.set(key, v);
  }
  return v;
}

const hs = (ts: Tensor[]): Handle[] => ts.map((t) => t.handle);

function many(out: unknown): Tensor[] {
  return (out as Handle[]).map((h) => wrap(h));
}

/** `self[i] += alpha * other[i]`. */
export function add_(self: Tensor[], other: Tensor[], alpha = 1): void {
  if (self.length === 0) return;
  if (has('_foreach_add_', 'List')) native.call(opId('_foreach_add_', 'List'), hs(self), hs(other), alpha);
  else
    self.forEach((t, i) => {
      t.add_(other[i], { alpha });
    });
}

/** `self[i] + alpha * other[i]` as new tensors. */
export function add(self: Tensor[], other: Tensor[], alpha = 1): Tensor[] {
  if (self.length === 0) return [];
  if (has('_foreach_add', 'List')) return many(native.call(opId('_foreach_add', 'List'), hs(self), hs(other), alpha));
  return self.map((t, i) => t.add(other[i], { alpha }));
}

/** `self[i] += s` (one scalar, or one per tensor). */
export function addScalar_(self: Tensor[], s: number | number[]): void {
  if (self.length === 0) return;
  if (typeof s === 'number') {
    if (has('_foreach_add_', 'Scalar')) native.call(opId('_foreach_add_', 'Scalar'), hs(self), s);
    else for (const t of self) t.add_(s);
  } else if (has('_foreach_add_', 'ScalarList')) {
    native.call(opId('_foreach_add_', 'ScalarList'), hs(self), s);
  } else {
    self.forEach((t, i) => {
      t.add_(s[i]);
    });
  }
}

/** `self[i] + s` as new tensors. */
export function addScalar(self: Tensor[], s: number): Tensor[] {
  if (self.length === 0) return [];
  if (has('_foreach_add', 'Scalar')) return many(native.call(opId('_foreach_add', 'Scalar'), hs(self), s));
  return self.map((t) => t.add(s));
}

/** `self[i] *= s` (one scalar, or one per tensor). */
export function mul_(self: Tensor[], s: number | number[]): void {
  if (self.length === 0) return;
  if (typeof s === 'number') {
    if (has('_foreach_mul_', 'Scalar')) native.call(opId('_foreach_mul_', 'Scalar'), hs(self), s);
    else for (const t of self) t.mul_(s);
  } else if (has('_foreach_mul_', 'ScalarList')) {
    native.call(opId('_foreach_mul_', 'ScalarList'), hs(self), s);
  } else {
    self.forEach((t, i) => {
      t.mul_(s[i]);
    });
  }
}

/** `self[i] *= other[i]` (tensors, broadcasting as `mul_`). */
export function mulTensors_(self: Tensor[], other: Tensor[]): void {
  if (self.length === 0) return;
  if (has('_foreach_mul_', 'List')) native.call(opId('_foreach_mul_', 'List'), hs(self), hs(other));
  else
    self.forEach((t, i) => {
      t.mul_(other[i]);
    });
}

/** `self[i] /= s` (one scalar, or one per tensor). */
export function div_(self: Tensor[], s: number | number[]): void {
  if (self.length === 0) return;
  if (typeof s === 'number') {
    if (has('_foreach_div_', 'Scalar')) native.call(opId('_foreach_div_', 'Scalar'), hs(self), s);
    else for (const t of self) t.div_(s);
  } else if (has('_foreach_div_', 'ScalarList')) {
    native.call(opId('_foreach_div_', 'ScalarList'), hs(self), s);
  } else {
    self.forEach((t, i) => {
      t.div_(s[i]);
    });
  }
}

/** `self[i] /= other[i]` (tensors). */
export function divTensors_(self: Tensor[], other: Tensor[]): void {
  if (self.length === 0) return;
  if (has('_foreach_div_', 'List')) native.call(opId('_foreach_div_', 'List'), hs(self), hs(other));
  else
    self.forEach((t, i) => {
      t.div_(other[i]);
    });
}

/** `self[i] += value * t1[i] * t2[i]`. */
export function addcmul_(self: Tensor[], t1: Tensor[], t2: Tensor[], value = 1): void {
  if (self.length === 0) return;
  if (has('_foreach_addcmul_', 'Scalar')) native.call(opId('_foreach_addcmul_', 'Scalar'), hs(self), hs(t1), hs(t2), value);
  else
    self.forEach((t, i) => {
      t.addcmul_(t1[i], t2[i], value);
    });
}

/** `self[i] += value[i] * t1[i] / t2[i]` (one value, or one per tensor). */
export function addcdiv_(self: Tensor[], t1: Tensor[], t2: Tensor[], value: number | number[] = 1): void {
  if (self.length === 0) return;
  if (typeof value === 'number') {
    if (has('_foreach_addcdiv_', 'Scalar')) native.call(opId('_foreach_addcdiv_', 'Scalar'), hs(self), hs(t1), hs(t2), value);
    else
      self.forEach((t, i) => {
        t.addcdiv_(t1[i], t2[i], value);
      });
  } else if (has('_foreach_addcdiv_', 'ScalarList')) {
    native.call(opId('_foreach_addcdiv_', 'ScalarList'), hs(self), hs(t1), hs(t2), value);
  } else {
    self.forEach((t, i) => {
      t.addcdiv_(t1[i], t2[i], value[i]);
    });
  }
}

/** `self[i] = max(self[i], other[i])` elementwise. */
export function maximum_(self: Tensor[], other: Tensor[]): void {
  if (self.length === 0) return;
  if (has('_foreach_maximum_', 'List')) {
    native.call(opId('_foreach_maximum_', 'List'), hs(self), hs(other));
  } else {
    self.forEach((t, i) => {
      const m = t.maximum(other[i]);
      t.copy_(m);
      m.dispose();
    });
  }
}

/** `sqrt(self[i])` as new tensors. */
export function sqrt(self: Tensor[]): Tensor[] {
  if (self.length === 0) return [];
  if (has('_foreach_sqrt')) return many(native.call(opId('_foreach_sqrt'), hs(self)));
  return self.map((t) => t.sqrt());
}

/** `-self[i]` as new tensors. */
export function neg(self: Tensor[]): Tensor[] {
  if (self.length === 0) return [];
  if (has('_foreach_neg')) return many(native.call(opId('_foreach_neg'), hs(self)));
  return self.map((t) => t.neg());
}

/** Zeroes every tensor in place. */
export function zero_(self: Tensor[]): void {
  if (self.length === 0) return;
  if (has('_foreach_zero_')) native.call(opId('_foreach_zero_'), hs(self));
  else for (const t of self) t.zero_();
}

/** The `ord`-norm of each tensor (0-d tensors). `ord` may be `Infinity`. */
export function norm(self: Tensor[], ord = 2): Tensor[] {
  if (self.length === 0) return [];
  if (has('_foreach_norm', 'Scalar')) return many(native.call(opId('_foreach_norm', 'Scalar'), hs(self), { float: ord }));
  return self.map((t) => t.norm(ord));
}
