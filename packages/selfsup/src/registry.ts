/**
 * Registries (MMSelfSup's `mmselfsup/registry.py`): every buildable part registers a builder
 * under a `type` name, and configs name parts by `type`. Scoped: one registry per kind of part.
 */
import type { Backbone } from './models/backbones/base.js';

/** A config naming a registered builder plus its options. */
export interface TypedConfig {
  type: string;
  [key: string]: unknown;
}

export type Builder<T> = (cfg: TypedConfig) => T;

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

export class Registry<T> {
  private readonly builders = new Map<string, Builder<T>>();

  constructor(readonly scope: string) {}

  /** Registers `builder` under `name`; a second registration of the same name is an error. */
  register(name: string, builder: Builder<T>): void {
    if (this.builders.has(name)) throw new Error(`${this.scope} registry: '${name}' is already registered`);
    this.builders.set(name, builder);
  }

  /** Registers unless the name is taken (for modules that may be imported more than once). */
  registerIfAbsent(name: string, builder: Builder<T>): void {
    if (!this.builders.has(name)) this.builders.set(name, builder);
  }

  has(name: string): boolean {
    return this.builders.has(name);
  }

  list(): string[] {
    return [...this.builders.keys()].sort();
  }

  /** Builds `cfg.type`; an unknown type is answered with the closest registered names. */
  build(cfg: TypedConfig): T {
    const b = this.builders.get(cfg.type);
    if (!b) {
      const near = this.list()
        .map((n) => [n, distance(n, cfg.type)] as const)
        .sort((x, y) => x[1] - y[1])
        .slice(0, 3)
        .map(([n]) => n);
      throw new Error(
        `${this.scope}: unknown type '${cfg.type}'${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`,
      );
    }
    return b(cfg);
  }
}

/** A config's options: everything but its `type`. */
export function configOptions<O>(cfg: TypedConfig): O {
  const { type: _type, ...rest } = cfg;
  return rest as O;
}

/** Backbones: ResNet, VisionTransformer, SwinTransformer and their named variants. */
export const BACKBONES = new Registry<Backbone>('backbones');
