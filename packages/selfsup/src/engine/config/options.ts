/**
 * `--cfg-options a.b.c=value` (MMEngine's): dotted paths into the config (list items by index,
 * `paramScheduler.1.etaMin=0`), values parsed by type: numbers, `true`/`false`, `null`,
 * lists (`[0.2,1]` or `0.2,1`), JSON objects, and strings otherwise.
 *
 * As MMEngine's `merge_from_dict`, a JSON object merges into the object already there, unless it
 * carries `"_delete_": true`, which replaces it (`trainDataloader.dataset={"_delete_":true,…}`).
 * Setting a part's `type` to another part (`…dataset.type=ImageFolder`, or a JSON object with
 * another `type`) drops the old part's options the new one does not accept (`switchPartType`).
 */
import { type ConfigObject, type ConfigValue, clone, isPlainObject, mergeConfig, stripMarkers } from './merge.js';
import { switchPartType } from './type-switch.js';
import { ConfigError } from '../../core/schema.js';

/** Parses one scalar or list value as MMEngine's DictAction does, typed. */
export function parseOptionValue(text: string): ConfigValue {
  const s = text.trim();
  if (s.startsWith('{') || s.startsWith('[')) {
    try {
      return JSON.parse(s) as ConfigValue;
    } catch {
      if (s.startsWith('[') && s.endsWith(']')) return splitList(s.slice(1, -1));
      return s;
    }
  }
  if (s.includes(',')) return splitList(s);
  return scalar(s);
}

function splitList(s: string): ConfigValue[] {
  return s.trim() === '' ? [] : s.split(',').map((x) => scalar(x.trim().replace(/^['"]|['"]$/g, '')));
}

function scalar(s: string): ConfigValue {
  if (s === 'true' || s === 'True') return true;
  if (s === 'false' || s === 'False') return false;
  if (s === 'null' || s === 'None') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || /^[+-]?(Infinity|inf)$/.test(s))
    return Number(s.replace(/inf$/, 'Infinity'));
  if (/^(['"]).*\1$/.test(s)) return s.slice(1, -1);
  return s;
}

/** Splits `a.b=1` into the path and the parsed value; a malformed option is a ConfigError. */
export function parseCfgOption(option: string): [string[], ConfigValue] {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new ConfigError('', `--cfg-options: expected key=value, got '${option}'`);
  const path = option.slice(0, eq).trim().split('.');
  if (path.some((p) => p === '')) throw new ConfigError('', `--cfg-options: empty key segment in '${option}'`);
  return [path, parseOptionValue(option.slice(eq + 1))];
}

/** A copy of `cfg` with every `key=value` override set (creating objects along the path). */
export function applyCfgOptions(cfg: ConfigObject, options: string[]): ConfigObject {
  const out = clone(cfg) as ConfigObject;
  for (const option of options) {
    const [path, value] = parseCfgOption(option);
    let node: ConfigValue = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i];
      const where = path.slice(0, i + 1).join('.');
      if (Array.isArray(node)) {
        const k = Number(key);
        if (!Number.isInteger(k) || k < 0 || k >= node.length)
          throw new ConfigError(where, `--cfg-options: no item ${key} in a list of ${node.length}`);
        node = node[k];
      } else if (isPlainObject(node)) {
        if (!(key in node) || node[key] === null) node[key] = {};
        node = node[key];
      } else {
        throw new ConfigError(where, `--cfg-options: cannot set a key inside ${JSON.stringify(node)}`);
      }
    }
    const last = path[path.length - 1];
    if (Array.isArray(node)) {
      const k = Number(last);
      if (!Number.isInteger(k) || k < 0 || k > node.length)
        throw new ConfigError(path.join('.'), `--cfg-options: no item ${last} in a list of ${node.length}`);
      node[k] = value;
    } else if (isPlainObject(node)) {
      if (last === 'type' && typeof value === 'string') {
        const switched = switchPartType(node, value);
        for (const k of Object.keys(node)) delete node[k];
        Object.assign(node, switched);
      } else {
        node[last] = mergeValue(node[last], value);
      }
    } else {
      throw new ConfigError(path.join('.'), `--cfg-options: cannot set a key inside ${JSON.stringify(node)}`);
    }
  }
  return out;
}

/** `value` set over `old`: objects merge (a type switch first drops the old part's options), `_delete_` replaces. */
function mergeValue(old: ConfigValue | undefined, value: ConfigValue): ConfigValue {
  if (!isPlainObject(value) || !isPlainObject(old)) return stripMarkers(value);
  const base = typeof value.type === 'string' && value._delete_ !== true ? switchPartType(old, value.type) : old;
  return stripMarkers(mergeConfig(base, value));
}
