/**
 * What the config loader sends the sandboxed config process and what it answers (JSON over
 * stdin/stdout). The loader reads and transpiles every file itself, so the sandbox needs no access
 * to the configs on disk: it evaluates the code it is given and nothing else.
 */
import type { ConfigObject } from './merge.js';

/** A config file as the loader read it: CommonJS code (transpiled), JSON text, or why it is unusable. */
export type SourceEntry = { js: string } | { json: string } | { error: string };

/** Where a `_base_` entry or import (`spec`) written in a file leads: a config file, or why not. */
export type Resolution = { file: string } | { error: string };

export interface SandboxRequest {
  /** The config file to load (absolute path). */
  entry: string;
  /** Every file the loader found the tree may need, by absolute path. */
  files: Record<string, SourceEntry>;
  /** `resolved[from][spec]`: the loader's resolution of each path literal found in `from`. */
  resolved: Record<string, Record<string, Resolution>>;
}

export type SandboxResponse =
  /** The merged tree, `_delete_` markers still in it (plain JSON data). */
  | { ok: ConfigObject }
  /** Paths the loader did not foresee (computed at run time): resolve them and ask again. */
  | { need: { from: string; spec: string }[] }
  /** A `ConfigError` (path and reason), from the tree walk, the config's own code, or a refusal. */
  | { error: { path: string; reason: string } };

/**
 * Several trees evaluated by one process, each from a fresh state, answered in order (`preloadConfigs`:
 * bundled configs listed or tested together). They share the process's globals, so a batch is for
 * configs of one origin.
 */
export interface SandboxBatch {
  batch: SandboxRequest[];
}
