/**
 * Switching a part's `type` from `--cfg-options` (`trainDataloader.dataset.type=ImageFolder`):
 * the options of the old part that the new part does not accept are dropped, so the switch does
 * not fail on the old part's keys (`trainDataloader.dataset.split: unknown key`), while keys that
 * belong to the surrounding config rather than to the old part (a dataset's `pipeline`) and the
 * options both parts share are kept. MMEngine keeps every key (its parts take `**kwargs`); our
 * schemas are strict, so the merge has to know which keys go with the type.
 */
import { z } from '../../core/schema.js';
import type { Registry } from '../../core/registry.js';
import { DATASETS, PIPELINE_STEPS, TRANSFORMS } from '../../data/registries.js';
import { ALGORITHMS, BACKBONES, HEADS, LOSSES, NECKS, TARGET_GENERATORS } from '../../models/registries.js';
import { HOOKS, OPTIMIZERS, PARAM_SCHEDULERS } from '../registries.js';
import type { ConfigObject } from './merge.js';

const REGISTRIES: readonly Registry<unknown>[] = [
  ALGORITHMS,
  BACKBONES,
  NECKS,
  HEADS,
  LOSSES,
  TARGET_GENERATORS,
  DATASETS,
  TRANSFORMS,
  PIPELINE_STEPS,
  HOOKS,
  OPTIMIZERS,
  PARAM_SCHEDULERS,
];

/** The option names of a part's schema, or null when the schema is not a plain object schema. */
function optionKeys(registry: Registry<unknown>, name: string): Set<string> | null {
  const schema = registry.get(name)?.schema;
  return schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : null;
}

/**
 * `node` with its `type` set to `newType`, without the old part's options that `newType` does
 * not accept. When no registry holds both types (or a schema is not an object), every key is
 * kept and validation reports what does not fit.
 */
export function switchPartType(node: ConfigObject, newType: string): ConfigObject {
  const oldType = node.type;
  const out: ConfigObject = { ...node, type: newType };
  if (typeof oldType !== 'string' || oldType === newType) return out;
  const registry = REGISTRIES.find((r) => r.has(oldType) && r.has(newType));
  if (!registry) return out;
  const oldKeys = optionKeys(registry, oldType);
  const newKeys = optionKeys(registry, newType);
  if (!oldKeys || !newKeys) return out;
  for (const k of Object.keys(out)) if (k !== 'type' && oldKeys.has(k) && !newKeys.has(k)) delete out[k];
  return out;
}
