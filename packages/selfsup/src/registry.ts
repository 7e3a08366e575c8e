/**
 * Registries (MMSelfSup's `mmselfsup/registry.py`): every buildable part registers a builder
 * under a `type` name, and configs name parts by `type`. Scoped: one registry per kind of part.
 * A builder may carry a zod schema of its options; `build` checks the config against it first, so
 * a bad value is reported with its dotted path (`model.neck.hidChannels: expected a positive
 * integer, got "abc"`) and a misspelt `type` with the closest registered names.
 */
import type { nn } from '@selfsup/torch';
import { ConfigError, closest, validate, type z } from './engine/config/schema.js';
import type { Dataset } from './data/datasets/base.js';
import type { Transform } from './data/transforms/random.js';
import type { Backbone } from './models/backbones/base.js';

/** A config naming a registered builder plus its options. */
export interface TypedConfig {
  type: string;
  [key: string]: unknown;
}

/** Builds a part from its config; `path` locates the config for error messages and nested builds. */
export type Builder<T> = (cfg: TypedConfig, path: string) => T;

export interface RegisterOptions {
  /** The options' schema (everything but `type`); checked before building. */
  schema?: z.ZodType;
  /** One line for `selfsup list`. */
  description?: string;
}

interface Entry<T> {
  builder: Builder<T>;
  options: RegisterOptions;
}

export class Registry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(readonly scope: string) {}

  /** Registers `builder` under `name`; a second registration of the same name is an error. */
  register(name: string, builder: Builder<T>, options: RegisterOptions = {}): void {
    if (this.entries.has(name)) throw new Error(`${this.scope} registry: '${name}' is already registered`);
    this.entries.set(name, { builder, options });
  }

  /** Registers unless the name is taken (for modules that may be imported more than once). */
  registerIfAbsent(name: string, builder: Builder<T>, options: RegisterOptions = {}): void {
    if (!this.entries.has(name)) this.entries.set(name, { builder, options });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  list(): string[] {
    return [...this.entries.keys()].sort();
  }

  description(name: string): string | undefined {
    return this.entries.get(name)?.options.description;
  }

  /**
   * Builds `cfg.type` after checking its options; an unknown type is answered with the closest
   * registered names. `path` names the config in errors (`model.backbone`).
   */
  build<C extends T = T>(cfg: unknown, path: string = this.scope): C {
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))
      throw new ConfigError(path, `expected a ${this.scope} config object with a 'type', got ${JSON.stringify(cfg)}`);
    const c = cfg as TypedConfig;
    if (typeof c.type !== 'string')
      throw new ConfigError(
        `${path}.type`,
        `expected the name of a registered ${this.scope} part, got ${JSON.stringify(c.type)}`,
      );
    const e = this.entries.get(c.type);
    if (!e) {
      const near = closest(c.type, this.entries.keys());
      throw new ConfigError(
        `${path}.type`,
        `unknown ${this.scope} type '${c.type}'${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`,
      );
    }
    if (e.options.schema) validate(e.options.schema, configOptions(c), path);
    return e.builder(c, path) as C;
  }
}

/** A config's options: everything but its `type`. */
export function configOptions<O>(cfg: TypedConfig): O {
  const { type: _type, ...rest } = cfg;
  return rest as O;
}

/** Backbones: ResNet, VisionTransformer, SwinTransformer and their named variants. */
export const BACKBONES = new Registry<Backbone>('backbones');
/** Necks: projectors and predictors between backbone and head (NonLinearNeck, MoCoV2Neck, …). */
export const NECKS = new Registry<nn.AnyModule>('necks');
/** Heads: turn neck outputs into a loss (ContrastiveHead, LatentPredictHead, …). */
export const HEADS = new Registry<nn.AnyModule>('heads');
/** Losses as modules (CrossEntropyLoss, CosineSimilarityLoss, …). */
export const LOSSES = new Registry<nn.AnyModule>('losses');

/** Datasets (ImageFolder, CIFAR10, FashionMNIST, …): `trainDataloader.dataset` in a config. */
export const DATASETS = new Registry<Dataset>('datasets');
/** Transforms (RandomResizedCrop, ColorJitter, …): entries of a dataset's `pipeline`. */
export const TRANSFORMS = new Registry<Transform>('transforms');
