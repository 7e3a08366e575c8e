/**
 * The sandboxed config process (started by `sandbox.ts`): it reads a `SandboxRequest` on stdin,
 * evaluates the config tree's code and writes a `SandboxResponse` on stdout. Node's permission
 * model (no writes, no child processes, no workers, no addons, reads of this package's config code
 * only) and `--disallow-code-generation-from-strings` (no `eval`, no `new Function`) bound the
 * process; before any config code runs, the globals that reach further are replaced by refusals
 * (`process`, with `getBuiltinModule`, `binding`, `dlopen`, `env` and `mainModule` behind it;
 * `fetch`, `WebSocket`, `EventSource`, `WebAssembly`), and `require` reaches only other configs
 * and `'selfsup'`'s data-building helpers. A refusal is recorded when it happens, so a config that
 * catches it still fails. Never imported by the library: it is this process's entry point.
 */
import { readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { format } from 'node:util';
import { compileFunction } from 'node:vm';
import { ConfigError } from '../../core/errors.js';
import * as helpers from './helpers.js';
import { isPlainObject } from './merge.js';
import type { SandboxBatch, SandboxRequest, SandboxResponse } from './sandbox-protocol.js';
import { loadTree, type TreeIO } from './tree.js';

const exit = process.exit.bind(process);
const input = JSON.parse(readFileSync(0, 'utf8')) as SandboxRequest | SandboxBatch;
/** The request being evaluated (one after another in a batch). */
let request: SandboxRequest = 'batch' in input ? (input.batch[0] as SandboxRequest) : input;
const HELPERS: Readonly<Record<string, unknown>> = Object.freeze({ ...helpers });

/** Thrown when the config asks for a capability; `refused` keeps the first even if it is caught. */
class Refusal extends Error {}
let refused: ConfigError | null = null;
/** The config file being evaluated (the innermost of nested imports). */
let current = request?.entry ?? '';
let needs: { from: string; spec: string }[] = [];

function refuse(capability: string, detail = ''): never {
  const err = new ConfigError('', `config ${current} tried to use ${capability}: configs are data, not programs${detail}`);
  refused ??= err;
  throw new Refusal(err.message);
}

/** `node:child_process` → `child_process`, `fs/promises` → `fs`. */
function capabilityOf(spec: string): string {
  return spec.replace(/^node:/, '').split('/')[0] ?? spec;
}

function lockDown(): void {
  const fake = new Proxy(Object.create(null) as object, {
    get: (_t, key) => {
      if (key === 'getBuiltinModule') return (name: unknown) => refuse(capabilityOf(String(name)));
      return refuse(`process.${String(key)}`);
    },
    set: (_t, key) => refuse(`process.${String(key)}`),
    has: () => refuse('process'),
    ownKeys: () => refuse('process'),
    getOwnPropertyDescriptor: () => refuse('process'),
    getPrototypeOf: () => refuse('process'),
    defineProperty: () => refuse('process'),
  });
  Object.defineProperty(globalThis, 'process', { value: fake, writable: false, configurable: false });
  const blocked: [string, string][] = [
    ['fetch', 'fetch (the network)'],
    ['WebSocket', 'WebSocket (the network)'],
    ['EventSource', 'EventSource (the network)'],
    ['WebAssembly', 'WebAssembly'],
  ];
  for (const [name, what] of blocked)
    Object.defineProperty(globalThis, name, { get: () => refuse(what), set: () => refuse(what), configurable: false });
  // `console.log` in a config still helps debugging; it goes to the loader's stderr, never into
  // the answer on stdout, and exposes no stream objects.
  const print = (...args: unknown[]): void => {
    writeSync(2, `${format(...args)}\n`);
  };
  const console = Object.freeze({ log: print, info: print, warn: print, error: print, debug: print });
  Object.defineProperty(globalThis, 'console', { value: console, writable: false, configurable: false });
}

function lookup<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

const io: TreeIO = {
  resolve(spec, from) {
    const hit = lookup(request.resolved[from], spec);
    if (hit === undefined) {
      needs.push({ from, spec });
      throw new ConfigError('', `${from}: config '${spec}' was not resolved before evaluation`);
    }
    if ('error' in hit) throw new ConfigError('', hit.error);
    return hit.file;
  },
  read(file, stack) {
    const src = lookup(request.files, file);
    if (src === undefined) throw new ConfigError('', `cannot read config ${file}: not given to the sandbox`);
    if ('error' in src) throw new ConfigError('', src.error);
    if ('json' in src) {
      try {
        return JSON.parse(src.json) as unknown;
      } catch (e) {
        throw new ConfigError('', `${file}: invalid JSON: ${(e as Error).message}`);
      }
    }
    return evaluate(file, src.js, stack);
  },
};

function evaluate(file: string, code: string, stack: readonly string[]): unknown {
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  const req = (spec: string): unknown => {
    if (spec === 'selfsup' || spec === 'selfsup/config') return HELPERS;
    // Other config files, named as `_base_` entries are: relative to this file, or absolute.
    if (spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/')) {
      const saved = current;
      try {
        return { __esModule: true, default: loadTree(io.resolve(spec, file), io, [...stack, file]) };
      } finally {
        current = saved;
      }
    }
    return refuse(
      capabilityOf(spec),
      ` (a config may import only other config files (./relative or /absolute paths) and 'selfsup', not '${spec}')`,
    );
  };
  const saved = current;
  current = file;
  try {
    const fn = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    fn(mod.exports, req, mod, file, dirname(file));
  } catch (e) {
    if (refused) throw refused;
    if (e instanceof ConfigError) throw e;
    if (e instanceof EvalError && /code generation from strings/i.test(e.message))
      refuse('eval / new Function (code built from strings)');
    throw new ConfigError('', `${file}: evaluating the config failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    current = saved;
  }
  return 'default' in mod.exports ? mod.exports.default : mod.exports;
}

/** Checks that `v` is plain JSON data (what the loader gets back); `undefined` object values drop out. */
function checkData(v: unknown, path: string): void {
  const where = path || 'the config';
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ConfigError(path, `${v} is not a config value (use a finite number)`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((e, i) => {
      if (e === undefined) throw new ConfigError(`${path}.${i}`, 'undefined is not a config value');
      checkData(e, path ? `${path}.${i}` : String(i));
    });
    return;
  }
  if (isPlainObject(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    for (const [k, e] of Object.entries(v)) {
      // A `__proto__` key would set a prototype where the loader merges this tree.
      if (k === '__proto__') throw new ConfigError(path, "'__proto__' is not a config key");
      if (e !== undefined) checkData(e, path ? `${path}.${k}` : k);
    }
    return;
  }
  const kind = typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  throw new ConfigError(
    path,
    `${where} is a ${kind}; a config holds plain data (objects, lists, strings, numbers, booleans, null)`,
  );
}

/** Evaluates one request from a fresh state (a batch's configs cannot see each other's refusals or needs). */
function run(req: SandboxRequest): SandboxResponse {
  request = req;
  current = req.entry;
  needs = [];
  refused = null;
  try {
    const tree = loadTree(req.entry, io);
    if (refused) throw refused;
    checkData(tree, '');
    return needs.length > 0 ? { need: needs } : { ok: tree };
  } catch (e) {
    if (needs.length > 0) return { need: needs };
    const err = refused ?? (e instanceof ConfigError ? e : new ConfigError('', `${current}: ${(e as Error).message}`));
    return { error: { path: err.path, reason: err.reason } };
  }
}

lockDown();
const out = 'batch' in input ? { batch: input.batch.map(run) } : run(input);
writeSync(1, JSON.stringify(out));
exit(0);
