/** Containers: Sequential, ModuleList, ModuleDict (children named as in PyTorch: `0`, `1`, … or keys). */
import { consume } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { type AnyModule, Module } from './module.js';

/**
 * Applies its children in order. Intermediate results are freed as it goes, so a deep stack
 * does not hold every activation outside autograd's own references.
 */
export class Sequential extends Module {
  private readonly list: Module<[Tensor], Tensor>[] = [];

  constructor(...modules: Module<[Tensor], Tensor>[]) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: Module<[Tensor], Tensor>): this {
    this.registerModule(String(this.list.length), m);
    this.list.push(m);
    return this;
  }

  get length(): number {
    return this.list.length;
  }

  at(i: number): Module<[Tensor], Tensor> {
    const m = this.list[i < 0 ? this.list.length + i : i];
    if (!m) throw new RangeError(`Sequential index ${i} out of range (length ${this.list.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module<[Tensor], Tensor>> {
    return this.list[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let cur = x;
    // The input belongs to the caller; every later intermediate is freed once the next module has read it.
    for (const m of this.list) cur = cur === x ? m.forward(cur) : consume(cur, (c) => m.forward(c));
    return cur;
  }
}

/** An indexed list of modules; not callable. */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> {
  private readonly list: M[] = [];

  constructor(modules: M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    this.registerModule(String(this.list.length), m);
    this.list.push(m);
    return this;
  }

  get length(): number {
    return this.list.length;
  }

  at(i: number): M {
    const m = this.list[i < 0 ? this.list.length + i : i];
    if (!m) throw new RangeError(`ModuleList index ${i} out of range (length ${this.list.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.list[Symbol.iterator]();
  }

  forward(): never {
    throw new TypeError('ModuleList is not callable: iterate over it');
  }
}

/** Modules by name; not callable. */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<[], never> {
  private readonly map = new Map<string, M>();

  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  set(key: string, m: M): this {
    this.registerModule(key, m);
    this.map.set(key, m);
    return this;
  }

  get(key: string): M | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  entries(): IterableIterator<[string, M]> {
    return this.map.entries();
  }

  forward(): never {
    throw new TypeError('ModuleDict is not callable: look modules up by key');
  }
}
