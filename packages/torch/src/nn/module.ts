/**
 * `nn.Module`: a tree of modules owning parameters and buffers, with PyTorch's state-dict key
 * names (`layer1.0.bn1.running_mean`), so weights map 1:1 to torchvision / timm / MMSelfSup.
 *
 * TypeScript cannot intercept `this.conv1 = …` the way Python's `__setattr__` does, so children,
 * parameters and buffers are registered explicitly and the call returns what it registered:
 * `this.conv1 = this.registerModule('conv1', new Conv2d(3, 64, 3))`.
 *
 * Parameters and buffers are owned by their module, not by `tidy` scopes: registering keeps them,
 * and `dispose()` frees them.
 */
import type { DType, MemoryFormat } from '../dtype.js';
import { keep } from '../scope.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
  /** `key: expected [..] (model), got [..] (state dict)` */
  shapeMismatches: string[];
}

export type ToTarget = DType | string | { dtype?: DType; device?: string; memoryFormat?: MemoryFormat };

// biome-ignore lint/suspicious/noExplicitAny: a module's forward signature is its own; `any` stays internal to the tree walkers.
export type AnyModule = Module<any, any>;

export abstract class Module<I extends unknown[] = [Tensor], O = Tensor> {
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, AnyModule | null>();

  abstract forward(...args: I): O;

  /** Shorthand for `forward`, as calling a module in Python. */
  call(...args: I): O {
    return this.forward(...args);
  }

  /** One line describing this module's own settings, as PyTorch's `extra_repr`. */
  extraRepr(): string {
    return '';
  }

  registerParameter<T extends Tensor | null>(name: string, t: T, requiresGrad = true): T {
    this.checkName(name);
    if (t) {
      keep(t);
      if (t.isFloatingPoint() && t.requiresGrad !== requiresGrad) t.requiresGrad_(requiresGrad);
    }
    this._parameters.set(name, t);
    return t;
  }

  /** A buffer is state that is not trained (running stats); non-persistent ones stay out of state dicts. */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { persistent?: boolean } = {}): T {
    this.checkName(name);
    if (t) keep(t);
    this._buffers.set(name, t);
    if (opts.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    return t;
  }

  registerModule<M extends AnyModule | null>(name: string, m: M): M {
    this.checkName(name);
    this._modules.set(name, m);
    return m;
  }

  /**
   * Swaps the child registered as `name` for `m`, also in this module's own fields, arrays and
   * maps that referenced the old child (what Python's `setattr` does), and returns the old child.
   */
  replaceModule(name: string, m: AnyModule): AnyModule | null {
    const old = this._modules.get(name) ?? null;
    this._modules.set(name, m);
    if (old) {
      const self = this as unknown as Record<string, unknown>;
      for (const k of Object.keys(self)) {
        const v = self[k];
        if (v === old) self[k] = m;
        else if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) if (v[i] === old) v[i] = m;
        } else if (v instanceof Map) for (const [mk, mv] of v) if (mv === old) v.set(mk, m);
      }
    }
    return old;
  }

  private checkName(name: string): void {
    if (name === '' || name.includes('.'))
      throw new TypeError(`module attribute name must be non-empty and have no '.', got '${name}'`);
  }

  /** Replaces a registered parameter or buffer tensor (the old one is disposed). */
  protected replaceTensor(name: string, t: Tensor | null): void {
    if (this._parameters.has(name)) {
      const old = this._parameters.get(name);
      this.registerParameter(name, t, old?.requiresGrad ?? true);
      if (old && old !== t) old.dispose();
    } else if (this._buffers.has(name)) {
      const old = this._buffers.get(name);
      this.registerBuffer(name, t, { persistent: !this._nonPersistent.has(name) });
      if (old && old !== t) old.dispose();
    } else {
      throw new TypeError(`${this.constructor.name} has no parameter or buffer '${name}'`);
    }
  }

  *namedChildren(): Generator<[string, AnyModule]> {
    for (const [n, m] of this._modules) if (m) yield [n, m];
  }

  *children(): Generator<AnyModule> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every descendant, depth first, with dotted names (`''` for this one). */
  *namedModules(prefix = ''): Generator<[string, AnyModule]> {
    yield [prefix, this];
    for (const [n, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  *modules(): Generator<AnyModule> {
    for (const [, m] of this.namedModules()) yield m;
  }

  *namedParameters(prefix = '', recurse = true): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, AnyModule]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${n}` : n, p];
      }
    }
  }

  parameters(recurse = true): Tensor[] {
    return [...this.namedParameters('', recurse)].map(([, p]) => p);
  }

  *namedBuffers(prefix = '', recurse = true): Generator<[string, Tensor]> {
    const mods: Iterable<[string, AnyModule]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [n, b] of m._buffers) if (b) yield [mp ? `${mp}.${n}` : n, b];
    }
  }

  buffers(recurse = true): Tensor[] {
    return [...this.namedBuffers('', recurse)].map(([, b]) => b);
  }

  /**
   * Sets training mode on this module and its descendants (dropout, batch norm), as PyTorch does:
   * through each child's own `train()`, so a subclass that overrides it (a backbone keeping frozen
   * stages and BN statistics in eval mode) is obeyed when a parent switches modes.
   */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  apply(fn: (m: AnyModule) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  /** Clears gradients: dropped (`setToNone`, PyTorch's default) or zeroed in place. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) {
        p.grad = null;
      } else {
        const g = p.grad;
        if (g) {
          g.zero_();
          g.dispose();
        }
      }
    }
  }

  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  /**
   * Converts parameters and buffers in place (their identity is kept, as PyTorch does with
   * `param.data = …`): `to('float64')`, `to('cuda:0')`, `to({ memoryFormat: 'channelsLast' })`.
   * Integer buffers keep their dtype.
   */
  to(target: ToTarget): this {
    const opts =
      typeof target === 'string'
        ? /^(cpu|cuda|mps|meta)(:\d+)?$/.test(target)
          ? { device: target }
          : { dtype: target as DType }
        : target;
    noGrad(() => {
      const convert = (t: Tensor) => {
        const floating = t.isFloatingPoint();
        const dtype = floating ? (opts.dtype ?? t.dtype) : t.dtype;
        const next = t.to({
          dtype,
          device: opts.device ?? t.device,
          memoryFormat: t.dim() === 4 ? opts.memoryFormat : undefined,
        });
        if (next !== t) {
          t.setData_(next);
          next.dispose();
        }
      };
      for (const p of this.parameters()) convert(p);
      for (const b of this.buffers()) convert(b);
    });
    return this;
  }

  /**
   * Parameters and persistent buffers by dotted key, in PyTorch's order. The tensors are the
   * module's own (not copies): don't dispose them; `clone()` one to keep a snapshot.
   */
  stateDict(prefix = ''): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules(prefix)) {
      const key = (n: string) => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of m._parameters) if (p) out[key(n)] = p;
      for (const [n, b] of m._buffers) if (b && !m._nonPersistent.has(n)) out[key(n)] = b;
    }
    return out;
  }

  /**
   * Copies values from `sd` into this module's tensors (converting dtype/device), and reports
   * missing, unexpected and shape-mismatched keys. With `strict` (default) any of those throws,
   * naming the keys; shape mismatches always throw, as in PyTorch.
   */
  loadStateDict(sd: Record<string, unknown>, opts: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const result: LoadStateDictResult = { missingKeys: [], unexpectedKeys: [], shapeMismatches: [] };
    for (const [k, t] of Object.entries(own)) {
      const v = sd[k];
      if (v === undefined) {
        result.missingKeys.push(k);
        continue;
      }
      if (!(v instanceof Tensor)) {
        result.shapeMismatches.push(`${k}: expected a tensor, got ${v === null ? 'null' : typeof v}`);
        continue;
      }
      const a = t.shape;
      const b = v.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        result.shapeMismatches.push(`${k}: expected [${a}] (model), got [${b}] (state dict)`);
      }
    }
    for (const k of Object.keys(sd)) if (!(k in own)) result.unexpectedKeys.push(k);
    const problems: string[] = [];
    if (result.shapeMismatches.length) problems.push(`size mismatch:\n  ${result.shapeMismatches.join('\n  ')}`);
    if (strict && result.missingKeys.length) problems.push(`missing keys: ${result.missingKeys.join(', ')}`);
    if (strict && result.unexpectedKeys.length) problems.push(`unexpected keys: ${result.unexpectedKeys.join(', ')}`);
    if (result.shapeMismatches.length) {
      // One line first: with hundreds of mismatches (a wrong architecture) the details scroll away.
      const n = result.shapeMismatches.length;
      const names = result.shapeMismatches.slice(0, 5).map((m) => m.slice(0, m.indexOf(':')));
      problems.unshift(`${n} weight${n === 1 ? '' : 's'} with mismatched shapes (first ${names.length}: ${names.join(', ')})`);
    }
    if (problems.length) throw new Error(`loadStateDict(${this.constructor.name}): ${problems.join('\n')}`);
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const v = sd[k];
        if (v instanceof Tensor) t.copy_(v);
      }
    });
    return result;
  }

  /** Frees every parameter and buffer of this module tree. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const p of m._parameters.values()) p?.dispose();
      for (const b of m._buffers.values()) b?.dispose();
    }
  }

  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    for (const [n, m] of this._modules) {
      const body = m ? m.toString().replace(/\n/g, '\n  ') : 'None';
      lines.push(`  (${n}): ${body}`);
    }
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}(${extra})`;
    return `${name}(${extra ? `\n  ${extra}` : ''}\n${lines.join('\n')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
