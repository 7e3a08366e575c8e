/**
 * What a config file imports from `'selfsup/config'` (the loader's `require('selfsup')` and
 * `require('selfsup/config')` return this module): `defineConfig`, `replace` and the recipe
 * builders of `recipes.ts`. Plain data-building functions only, so a config stays pure data.
 *
 * ```ts
 * import { defineConfig, lars, larsExclude, warmupCosine } from 'selfsup/config';
 * export default defineConfig({
 *   _base_: ['../_base_/models/simclr.ts', '../_base_/datasets/imagenet_simclr.ts', '../_base_/default_runtime.ts'],
 *   optimWrapper: { optimizer: lars(4.8, 1e-6), paramwiseCfg: larsExclude(['bn', 'bias']) },
 *   paramScheduler: warmupCosine(10, 200),
 * });
 * ```
 */
import type { nn } from '@selfsup/torch';
import type { z } from '../../core/schema.js';
import type { configSchema } from './config.js';

export { replace } from './merge.js';
export * from './recipes.js';

/**
 * `T` with every object key optional at every depth (a config with `_base_` gives only the part of
 * the tree it changes; objects merge key by key), and `_delete_: true` allowed on every object (it
 * replaces the base's sub-tree). Lists replace their base's list, so their items stay whole.
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : // A ready module (an algorithm's backbone built in code) stays whole, as lists do.
    T extends nn.AnyModule
    ? T
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> } & { _delete_?: true }
      : T;

/**
 * A config file's default export: the training config (`configSchema`'s input) made deep-partial,
 * with its parts typed as the union of the built-in parts of their kind (`model` is any built-in
 * algorithm's config, `model.neck` any built-in neck's, a pipeline entry any built-in transform's),
 * plus `_base_`. A misspelt key or `type` is a `tsc` error; whether the merged config is complete is
 * checked when it is loaded.
 */
export type ConfigInput = DeepPartial<z.input<typeof configSchema>> & {
  /** Base files, merged in order underneath this one (paths relative to this file). */
  _base_?: string | string[];
};

/**
 * Types a config (it returns `cfg` unchanged). It takes `ConfigInput` itself, not a type parameter
 * inferred from `cfg`: TypeScript checks the keys of an object literal against a declared type
 * only, so a generic signature would let a misspelt key through.
 */
export function defineConfig(cfg: ConfigInput): ConfigInput {
  return cfg;
}
