/**
 * Config files (MMEngine's `Config.fromfile`, in TypeScript): a module whose default export is
 * plain data. `_base_: ['../_base_/models/simclr.ts', …]` lists base files (paths relative to the
 * file, or absolute) merged in order underneath it; a config may also import other config files
 * (the same two kinds of path: `'./base.js'`, `'/abs/base.ts'`) and
 * `'selfsup/config'`'s helpers. `.ts`, `.mts`, `.js`, `.mjs` and `.cjs` files are transpiled with
 * TypeScript and evaluated in a separate, sandboxed Node process (`sandbox.ts`) that cannot touch
 * files, start processes or reach the network: a config is data, and one that tries more is
 * refused with the capability it asked for. `.json` (e.g. a work dir's `config.json`) is read as is.
 */
import { resolve } from 'node:path';
import { type ConfigObject, stripMarkers } from './merge.js';
import { loadTreeSandboxed, preloadConfigs as preloadTrees } from './sandbox.js';

/** Loads a config file with its bases merged; the result is plain data without `_base_` keys. */
export function loadConfig(file: string): ConfigObject {
  return stripMarkers(loadTreeSandboxed(resolve(file))) as ConfigObject;
}

/**
 * Evaluates many config files in one sandboxed process ahead of `loadConfig` (which then starts no
 * process for them): listing or testing the bundled configs. The files share that process's
 * globals, so pass configs of one origin; a file that fails is reported again when `loadConfig` reads
 * it. Returns the files now cached and why the others are not.
 */
export function preloadConfigs(files: readonly string[]): { loaded: string[]; failed: Record<string, string> } {
  return preloadTrees(files.map((f) => resolve(f)));
}
