/**
 * Evaluates a config tree in a separate Node process that cannot act on the machine (issue 17:
 * configs are data, not programs). The loader reads and transpiles the files (`sources.ts`) and
 * sends them over stdin; the child (`sandbox-child.ts`) runs under Node's permission model with
 * reads limited to its own code, no writes, child processes, workers or addons, no code from
 * strings, and its network and `process` globals replaced by refusals. It answers plain JSON.
 * Trees of JSON files only are merged here, without a process. Results are cached per entry
 * file until one of its files (or where one of its paths resolves) changes.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import type { ConfigObject } from './merge.js';
import type { Resolution, SandboxBatch, SandboxRequest, SandboxResponse } from './sandbox-protocol.js';
import { readSource, resolveConfigPath, stampOf, tryResolve } from './sources.js';
import { loadTree } from './tree.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'sandbox-child.js');
/** What the child may read: its own modules and the package.json Node consults for their module type. */
const READABLE = [`${HERE}/`, resolve(HERE, '../../core/errors.js'), ...packageJsons(HERE)];
/** A config evaluates in milliseconds; this bounds an endless loop. */
const TIMEOUT_MS = 30_000;
/** Rounds of run-time path requests before giving up (a tree computing its paths in a loop). */
const MAX_ROUNDS = 32;

function packageJsons(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(join(d, 'package.json'));
    if (dirname(d) === d) return out;
  }
}

function permissionFlag(): string {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  throw new Error(`loading .ts/.js configs needs Node's permission model (Node ≥ 20); this is Node ${process.version}`);
}

interface Cached {
  json: string;
  stamps: [string, string][];
  resolved: [string, string, string][];
}
const results = new Map<string, Cached>();

/** `entry` (absolute) with its bases merged, `_delete_` markers still in it. */
export function loadTreeSandboxed(entry: string): ConfigObject {
  const cached = results.get(entry);
  if (cached && isFresh(cached)) return JSON.parse(cached.json) as ConfigObject;
  const req = requestFor(entry);
  const tree = hasCode(req) ? runChild(req) : mergeJson(req);
  remember(req, tree);
  return tree;
}

/**
 * Evaluates many config trees (absolute entry paths) in one sandboxed process and caches the
 * results, so that loading each afterwards costs no process start (~0.3 s each on a busy 2-core
 * machine): for listing or testing the bundled configs. The configs share that process's globals,
 * so pass configs of one origin. Trees that fail or compute paths at run time are left to
 * `loadTreeSandboxed`, which reports them as usual. Returns the entries now cached and, for the
 * others, why not. JSON-only trees need no process and are not preloaded.
 */
export function preloadConfigs(entries: readonly string[]): { loaded: string[]; failed: Record<string, string> } {
  const loaded = entries.filter((e) => results.has(e));
  const failed: Record<string, string> = {};
  const reqs: SandboxRequest[] = [];
  for (const e of entries.filter((x) => !results.has(x))) {
    const req = requestFor(e);
    if (hasCode(req)) reqs.push(req);
  }
  if (reqs.length === 0) return { loaded, failed };
  // A config evaluates in milliseconds: a second each on top of the one-config bound is ample.
  const res = spawnChild({ batch: reqs }, `${reqs.length} configs`, TIMEOUT_MS + 1000 * reqs.length) as {
    batch?: SandboxResponse[];
  };
  if (!Array.isArray(res.batch) || res.batch.length !== reqs.length)
    throw new ConfigError('', 'the config process answered a batch of configs with something else');
  res.batch.forEach((r, i) => {
    const entry = reqs[i].entry;
    if ('ok' in r) {
      remember(reqs[i], r.ok);
      loaded.push(entry);
    } else failed[entry] = 'error' in r ? r.error.reason : 'paths computed at run time (loaded alone)';
  });
  return { loaded, failed };
}

function requestFor(entry: string): SandboxRequest {
  const req: SandboxRequest = { entry, files: {}, resolved: {} };
  gather(req, entry);
  return req;
}

function hasCode(req: SandboxRequest): boolean {
  return Object.values(req.files).some((f) => 'js' in f);
}

function remember(req: SandboxRequest, tree: ConfigObject): void {
  results.set(req.entry, {
    json: JSON.stringify(tree),
    stamps: Object.keys(req.files).map((f) => [f, stampOf(f)]),
    resolved: Object.entries(req.resolved).flatMap(([from, specs]) =>
      Object.entries(specs).map(([spec, r]): [string, string, string] => [from, spec, JSON.stringify(r)]),
    ),
  });
}

function isFresh(c: Cached): boolean {
  return (
    c.stamps.every(([f, s]) => stampOf(f) === s) &&
    c.resolved.every(([from, spec, r]) => JSON.stringify(tryResolve(spec, from)) === r)
  );
}

/** Adds `file` and, recursively, the files its static paths name. */
function gather(req: SandboxRequest, file: string): void {
  if (Object.hasOwn(req.files, file)) return;
  const src = readSource(file);
  req.files[file] = src.entry;
  for (const spec of src.specs) addResolution(req, file, spec, tryResolve(spec, file));
}

function addResolution(req: SandboxRequest, from: string, spec: string, r: Resolution): void {
  req.resolved[from] ??= {};
  req.resolved[from][spec] = r;
  if ('file' in r) gather(req, r.file);
}

function mergeJson(req: SandboxRequest): ConfigObject {
  return loadTree(req.entry, {
    resolve: resolveConfigPath,
    read(file) {
      const src = req.files[file] ?? readSource(file).entry;
      if ('error' in src) throw new ConfigError('', src.error);
      if (!('json' in src)) throw new ConfigError('', `${file}: expected a JSON config`);
      try {
        return JSON.parse(src.json, (k, v: unknown) => {
          if (k === '__proto__') throw new Error("'__proto__' is not a config key");
          return v;
        }) as unknown;
      } catch (e) {
        throw new ConfigError('', `${file}: invalid JSON: ${(e as Error).message}`);
      }
    },
  });
}

/** Runs the sandboxed process on `input` and returns its parsed answer; `what` names it in errors. */
function spawnChild(input: SandboxRequest | SandboxBatch, what: string, timeoutMs = TIMEOUT_MS): unknown {
  const args = [
    permissionFlag(),
    ...READABLE.map((p) => `--allow-fs-read=${p}`),
    '--disallow-code-generation-from-strings',
    '--no-addons',
    '--no-warnings',
    '--max-old-space-size=512',
    CHILD,
  ];
  // A clean environment: NODE_OPTIONS could otherwise grant the child what the flags withhold.
  const r = spawnSync(process.execPath, args, {
    input: JSON.stringify(input),
    env: {},
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw new ConfigError('', `config ${what} did not finish loading within ${timeoutMs / 1000} s (an endless loop?)`);
  if (r.error) throw new ConfigError('', `config ${what}: cannot start the config process: ${r.error.message}`);
  if (r.stderr) process.stderr.write(r.stderr);
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    const why = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    throw new ConfigError(
      '',
      `config ${what}: the config process ${why} without an answer${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
    );
  }
}

function runChild(req: SandboxRequest): ConfigObject {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = spawnChild(req, req.entry) as SandboxResponse;
    if ('ok' in res) return res.ok;
    if ('error' in res) throw new ConfigError(res.error.path, res.error.reason);
    let progress = false;
    for (const { from, spec } of res.need) {
      if (req.resolved[from]?.[spec] !== undefined) continue;
      addResolution(req, from, spec, tryResolve(spec, from));
      progress = true;
    }
    if (!progress) throw new ConfigError('', `config ${req.entry}: the config process asked again for paths it was given`);
  }
  throw new ConfigError('', `config ${req.entry}: its paths are still unresolved after ${MAX_ROUNDS} rounds`);
}
