/**
 * A config file and its `_base_` files merged into one tree (MMEngine's `Config.fromfile` merge
 * order: bases in list order, then the file itself). The file system stays outside: `io` reads a
 * file's data and resolves a `_base_` path, so the same walk runs in the loader process (JSON-only
 * trees) and in the sandboxed process that evaluates `.ts`/`.js` configs (`sandbox-child.ts`).
 * Imports only `merge.ts` and `core/errors.ts`, the files the sandbox may read.
 */
import { ConfigError } from '../../core/errors.js';
import { type ConfigObject, type ConfigValue, isPlainObject, mergeConfig } from './merge.js';

export interface TreeIO {
  /** The config data of `file` (its default export, `_base_` still in it). */
  read(file: string, stack: readonly string[]): unknown;
  /** The absolute path `spec` (a `_base_` entry or an import) names, seen from `from`. */
  resolve(spec: string, from: string): string;
}

/** `file` with its bases merged underneath it; `stack` holds the files that led here (cycle check). */
export function loadTree(file: string, io: TreeIO, stack: readonly string[] = []): ConfigObject {
  if (stack.includes(file)) throw new ConfigError('', `config cycle: ${[...stack, file].join(' → ')}`);
  const own = io.read(file, stack);
  if (!isPlainObject(own)) throw new ConfigError('', `${file}: the default export must be a config object`);
  const { _base_: bases, ...rest } = own;
  let merged: ConfigValue = {};
  if (bases !== undefined) {
    const list = typeof bases === 'string' ? [bases] : bases;
    if (!Array.isArray(list) || list.some((b) => typeof b !== 'string'))
      throw new ConfigError('_base_', `${file}: expected a path or a list of paths, got ${JSON.stringify(bases)}`);
    for (const b of list as string[]) merged = mergeConfig(merged, loadTree(io.resolve(b, file), io, [...stack, file]));
  }
  return mergeConfig(merged, rest) as ConfigObject;
}
