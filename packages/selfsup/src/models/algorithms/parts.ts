/**
 * Building an algorithm's parts from its config: nested parts through their registries (errors
 * name the config path), checked to be of the class the algorithm needs.
 */
import type { nn } from '@selfsup/torch';
import { ConfigError, num, z } from '../../engine/config/schema.js';
import { BACKBONES, type Registry, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import type { DataPreprocessorOptions } from './base.js';

/** Config fields every joint-embedding algorithm has. */
export interface AlgorithmConfigBase {
  backbone: TypedConfig;
  neck: TypedConfig;
  dataPreprocessor?: DataPreprocessorOptions;
}

/** Builds `cfg` with `registry` and checks the result is a `cls` (else a ConfigError at `path.type`). */
export function buildAs<T>(
  registry: Registry<nn.AnyModule>,
  cfg: TypedConfig,
  path: string,
  cls: abstract new (...args: never[]) => T,
  who: string,
): T {
  const part = registry.build(cfg, path) as unknown;
  if (!(part instanceof cls))
    throw new ConfigError(`${path}.type`, `${who} needs a ${cls.name} (or a subclass), got '${cfg.type}'`);
  return part;
}

/** The backbone and neck of `cfg`, built from the registries. */
export function buildBackboneNeck(cfg: AlgorithmConfigBase, path: string): { backbone: Backbone; neck: Neck } {
  const backbone = BACKBONES.build(cfg.backbone, `${path}.backbone`);
  const neck = buildNeck(cfg.neck, `${path}.neck`);
  return { backbone, neck };
}

/** Throws unless the batch has at least `n` views. */
export function needViews(views: unknown[], n: number, who: string): void {
  if (views.length < n) throw new RangeError(`${who}: expected at least ${n} views per sample, got ${views.length}`);
}

/** `dataPreprocessor` options of an algorithm config. */
export const dataPreprocessorSchema = () =>
  z.strictObject({ mean: z.array(num()).optional(), std: z.array(num()).optional() }).optional();
