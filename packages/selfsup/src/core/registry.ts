/**
 * Registries and part definitions (MMSelfSup's `mmselfsup/registry.py` with
 * `@MODELS.register_module()`): every buildable part is declared once with `definePart` — its
 * registry, its `type` name, a zod schema of its options and a builder — and configs name parts by
 * `type`. The options type is the schema's (`z.infer`), so no interface is kept beside it. A
 * registry is typed by the kind of part it builds (`Registry<Backbone>`), checks a config against
 * the part's schema before building, and answers a misspelt `type` with the closest names.
 *
 * The registries themselves live with the layer whose parts they hold (models, data, engine);
 * this module imports none of them.
 */
import { ConfigError } from './errors.js';
import { closest, validate, type z } from './schema.js';

/** A config naming a registered part plus its options. */
export interface TypedConfig {
  type: string;
  [key: string]: unknown;
}

/**
 * One buildable part. `schema` checks the options (everything but `type`); `build` gets the
 * checked options (zod's output: defaults applied) and the config's dotted path for errors and
 * nested builds.
 */
export interface Part<T, S extends z.ZodType = z.ZodType, N extends string = string> {
  /** The registry the part belongs to. */
  readonly registry: Registry<T>;
  /** The `type` a config names it by (a literal type, so configs can be typed by it). */
  readonly name: N;
  readonly schema: S;
  /** One line for `selfsup list`. */
  readonly description: string;
  build(options: z.output<S>, path: string): T;
}

/**
 * Declares a part. Nothing is registered until the part is added to its registry (`registerParts`
 * in the built-in manifest, or `registry.register(part)` in a user's `--import` module).
 *
 * ```ts
 * export const simclrPart = definePart({
 *   registry: ALGORITHMS, name: 'SimCLR', schema: simclrSchema,
 *   description: 'SimCLR: NT-Xent between two views',
 *   build: (o, path) => new SimCLR(o, path),
 * });
 * ```
 */
export function definePart<T, S extends z.ZodType, const N extends string>(part: Part<T, S, N>): Part<T, S, N> {
  return Object.freeze({ ...part });
}

/** Options a part's config may hold (what a config writes: zod's input). */
export type PartOptions<P> = P extends { readonly schema: infer S extends z.ZodType } ? z.input<S> : never;

/**
 * What a config writes to name a part and set its options: `{ type: Name } & z.input<schema>`, a
 * union over a union of parts (`PartConfig<(typeof BACKBONE_PARTS)[number]>`: any built-in backbone).
 */
export type PartConfig<P> = P extends { readonly name: infer N extends string; readonly schema: infer S extends z.ZodType }
  ? { type: N } & Options<z.input<S>>
  : never;
/** A strict schema without options reads `Record<string, never>`, which would make `type` never too. */
type Options<I> = I extends Record<string, never> ? unknown : I;

/** A registry of one kind of part (`T`: what its parts build). */
export class Registry<T> {
  private readonly parts = new Map<string, Part<T>>();

  /** `scope` names the kind in errors and listings (`backbones`). */
  constructor(readonly scope: string) {}

  /**
   * Adds `part`. Adding the same declaration again does nothing (a thread may load the manifest
   * and a user module that loads it too); another part of the same name, or a part of another
   * registry, is an error.
   */
  register(part: Part<T>): void {
    if (part.registry !== this) throw new Error(`${this.scope} registry: '${part.name}' belongs to ${part.registry.scope}`);
    const known = this.parts.get(part.name);
    if (known === part) return;
    if (known) throw new Error(`${this.scope} registry: '${part.name}' is already registered`);
    this.parts.set(part.name, part);
  }

  has(name: string): boolean {
    return this.parts.has(name);
  }

  /** The registered names, sorted. */
  list(): string[] {
    return [...this.parts.keys()].sort();
  }

  /** The part registered as `name`. */
  get(name: string): Part<T> | undefined {
    return this.parts.get(name);
  }

  description(name: string): string | undefined {
    return this.parts.get(name)?.description;
  }

  /**
   * Builds `cfg.type` after checking its options; an unknown type is answered with the closest
   * registered names. `path` names the config in errors (`model.backbone`).
   */
  build(cfg: unknown, path: string = this.scope): T {
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))
      throw new ConfigError(path, `expected a ${this.scope} config object with a 'type', got ${JSON.stringify(cfg)}`);
    const { type, ...options } = cfg as TypedConfig;
    if (typeof type !== 'string')
      throw new ConfigError(`${path}.type`, `expected the name of a registered ${this.scope} part, got ${JSON.stringify(type)}`);
    const part = this.parts.get(type);
    if (!part) {
      const near = closest(type, this.parts.keys());
      throw new ConfigError(
        `${path}.type`,
        `unknown ${this.scope} type '${type}'${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`,
      );
    }
    return part.build(validate(part.schema, options, path), path);
  }

  /**
   * Builds `cfg` and checks the part is a `cls` (an algorithm needing a particular head), else a
   * ConfigError at `path.type`.
   */
  buildAs<C extends T>(cfg: unknown, path: string, cls: abstract new (...args: never[]) => C, who: string): C {
    const part = this.build(cfg, path);
    if (!(part instanceof cls))
      throw new ConfigError(`${path}.type`, `${who} needs a ${cls.name} (or a subclass), got '${(cfg as TypedConfig).type}'`);
    return part;
  }
}

/** Adds each part to its own registry (the built-in manifest, or a user module's parts). */
export function registerParts(parts: readonly Part<unknown>[]): void {
  for (const p of parts) p.registry.register(p);
}
