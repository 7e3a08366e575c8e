/**
 * Deep merge of config trees (MMEngine's `Config` merge): objects merge key by key, everything
 * else (numbers, strings, lists) is replaced. An object carrying `_delete_: true` replaces the
 * base sub-tree instead of merging into it (`optimizer: { _delete_: true, type: 'AdamW', … }`).
 */

/** Plain config data. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigObject;
export interface ConfigObject {
  [key: string]: ConfigValue;
}

export const DELETE_KEY = '_delete_';

export function isPlainObject(v: unknown): v is ConfigObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `override` merged into a copy of `base`; neither input is modified. */
export function mergeConfig(base: ConfigValue | undefined, override: ConfigValue): ConfigValue {
  if (!isPlainObject(override)) return clone(override);
  const replace = override[DELETE_KEY] === true;
  const out: ConfigObject = isPlainObject(base) && !replace ? (clone(base) as ConfigObject) : {};
  for (const [k, v] of Object.entries(override)) {
    if (k === DELETE_KEY) continue;
    out[k] = mergeConfig(out[k], v);
  }
  return out;
}

/** Marks a sub-tree to replace, not merge into, its base (`replace({ type: 'AdamW', lr: 1e-3 })`). */
export function replace<T extends object>(tree: T): T & { _delete_: true } {
  return { ...tree, [DELETE_KEY]: true } as T & { _delete_: true };
}

export function clone(v: ConfigValue): ConfigValue {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, clone(e)]));
  return v;
}

/** Strips every `_delete_` marker left in a tree (a tree without a base to replace). */
export function stripMarkers(v: ConfigValue): ConfigValue {
  if (Array.isArray(v)) return v.map(stripMarkers);
  if (isPlainObject(v))
    return Object.fromEntries(Object.entries(v).flatMap(([k, e]) => (k === DELETE_KEY ? [] : [[k, stripMarkers(e)]])));
  return v;
}
