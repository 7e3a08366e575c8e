/**
 * A model zoo: a directory or an http(s) base URL holding `zoo.json` (this module's
 * {@link ZooManifest}) and the files its entries name by paths relative to it. Each entry is one
 * pre-trained backbone (exported as `selfsup export backbone` writes it) with the config, log and
 * evaluation numbers of the run that produced it, every file with its sha256 and size so that
 * `selfsup zoo get` can verify what it fetches.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, nonNegInt, nonNegNum, num, posInt, posNum, str, validate, z } from '../../core/schema.js';
import { writeTextAtomic } from '../../engine/checkpoint.js';

export const ZOO_MANIFEST = 'zoo.json';

/** A problem with a zoo (its location, manifest or files); the message names what and where. */
export class ZooError extends Error {
  override name = 'ZooError';
}

/** Whether `p` is a relative path that stays inside the zoo (`a/b.pth`; not `/x`, `../x`, `a/../../x`). */
function insideZoo(p: string): boolean {
  if (p === '' || isAbsolute(p) || /^[a-z][a-z0-9+.-]*:/i.test(p) || p.includes('\\')) return false;
  return p.split('/').every((seg) => seg !== '..' && seg !== '');
}

const zooFile = z.looseObject({
  path: str().refine(insideZoo, 'expected a relative path inside the zoo (no leading "/", no "..", "/" separators)'),
  sha256: str().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits'),
  bytes: nonNegInt(),
});

const entrySchema = z.looseObject({
  name: str().regex(/^[\w.+-]+$/, "expected letters, digits, '_', '-', '.', '+'"),
  algorithm: str(),
  backbone: str(),
  config: str(),
  dataset: str(),
  budget: z.looseObject({ iters: nonNegInt(), epochs: nonNegNum(), minutes: posNum().optional(), machine: str() }),
  knn: z.looseObject({ k: posInt(), top1: num(), top5: num().optional() }).nullable(),
  linear: z.looseObject({ top1: num(), top5: num().optional() }).nullable(),
  files: z.looseObject({
    backbone: zooFile,
    config: zooFile,
    checkpoint: zooFile.optional(),
    log: zooFile.optional(),
    card: zooFile.optional(),
  }),
  created: str(),
  selfsupVersion: str(),
});

const manifestSchema = z.looseObject({
  version: z.literal(1, { error: 'expected 1 (the only manifest version)' }),
  entries: z.array(entrySchema, { error: 'expected a list of entries' }),
});

/** One file of an entry: where it lies (relative to the zoo), its sha256 (hex) and size. */
export type ZooFile = z.infer<typeof zooFile>;
/** One pre-trained model of the zoo. `knn`/`linear` top-1 are percentages; null when not evaluated. */
export type ZooEntry = z.infer<typeof entrySchema>;
/** The contents of `zoo.json`. */
export type ZooManifest = z.infer<typeof manifestSchema>;

/** The roles an entry's files may have, in the order they are fetched (the backbone first). */
export const FILE_ROLES = ['backbone', 'config', 'log', 'card', 'checkpoint'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

/** The entry's files as `[role, file]` pairs, in {@link FILE_ROLES} order. */
export function entryFiles(e: ZooEntry): [FileRole, ZooFile][] {
  const out: [FileRole, ZooFile][] = [];
  for (const role of FILE_ROLES) {
    const f = e.files[role];
    if (f) out.push([role, f]);
  }
  return out;
}

/**
 * Parses and checks a manifest's text; `where` (a path or URL) starts every error message, which
 * names the offending key (`entries.0.files.backbone.sha256: expected 64 lower-case hex digits, …`).
 */
export function parseManifest(text: string, where: string): ZooManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ZooError(`${where}: not JSON (${(e as Error).message})`);
  }
  let m: ZooManifest;
  try {
    m = validate(manifestSchema, raw, '');
  } catch (e) {
    if (e instanceof ConfigError) throw new ZooError(`${where}: ${e.message}`);
    throw e;
  }
  const seen = new Set<string>();
  for (const [i, e] of m.entries.entries()) {
    if (seen.has(e.name)) throw new ZooError(`${where}: entries.${i}.name: '${e.name}' appears twice`);
    seen.add(e.name);
  }
  return m;
}

/** Checks one entry against the manifest's schema (what `zoo add` writes). */
export function checkEntry(e: unknown, where: string): ZooEntry {
  try {
    return validate(entrySchema, e, 'entry');
  } catch (err) {
    if (err instanceof ConfigError) throw new ZooError(`${where}: ${err.message}`);
    throw err;
  }
}

/** selfsup's cache folder: `$SELFSUP_CACHE`, else `$XDG_CACHE_HOME/selfsup`, else `~/.cache/selfsup`. */
export function cacheRoot(): string {
  if (process.env.SELFSUP_CACHE) return resolve(process.env.SELFSUP_CACHE);
  if (process.env.XDG_CACHE_HOME) return join(resolve(process.env.XDG_CACHE_HOME), 'selfsup');
  return join(homedir(), '.cache', 'selfsup');
}

/** The local zoo cache (`<cache>/zoo`): where `zoo get` puts entries by default, and the default zoo. */
export function defaultZooDir(): string {
  return join(cacheRoot(), 'zoo');
}

/** Where a zoo lies: a local directory or an http(s) base URL. */
export type ZooLocation = { kind: 'dir'; dir: string } | { kind: 'url'; base: string };

/** The zoo named by `flag`, else by `$SELFSUP_ZOO`, else the local cache; `isDefault` for the last. */
export function zooLocation(flag?: string): { location: ZooLocation; isDefault: boolean } {
  const given = flag ?? process.env.SELFSUP_ZOO;
  if (given === undefined || given === '') return { location: { kind: 'dir', dir: defaultZooDir() }, isDefault: true };
  if (/^https?:\/\//i.test(given)) return { location: { kind: 'url', base: given.replace(/\/*$/, '/') }, isDefault: false };
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(given))
    throw new ZooError(`zoo location '${given}': expected a directory or an http(s) URL`);
  return { location: { kind: 'dir', dir: resolve(given) }, isDefault: false };
}

/** `path` (relative to the zoo) as a file path or URL. */
export function zooFileLocation(loc: ZooLocation, path: string): string {
  return loc.kind === 'dir' ? join(loc.dir, ...path.split('/')) : new URL(path, loc.base).href;
}

/** How a location reads in messages. */
export function describeZoo(loc: ZooLocation): string {
  return loc.kind === 'dir' ? loc.dir : loc.base;
}

/**
 * Reads the manifest of a zoo. `missingIsEmpty`: a local directory without `zoo.json` is an empty
 * zoo (the local cache before anything was fetched) instead of an error.
 */
export async function readManifest(
  loc: ZooLocation,
  o: { timeoutMs?: number; missingIsEmpty?: boolean } = {},
): Promise<ZooManifest> {
  const where = zooFileLocation(loc, ZOO_MANIFEST);
  if (loc.kind === 'dir') {
    if (!existsSync(where)) {
      if (o.missingIsEmpty) return { version: 1, entries: [] };
      throw new ZooError(
        `${where}: no such file (${loc.dir} is not a zoo; build one with 'selfsup zoo add', or point --zoo / SELFSUP_ZOO at one)`,
      );
    }
    return parseManifest(readFileSync(where, 'utf8'), where);
  }
  const timeoutMs = o.timeoutMs ?? 30_000;
  let res: Response;
  try {
    res = await fetch(where, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (e as Error).name === 'TimeoutError' ? `no response within ${timeoutMs / 1000} s` : (cause?.code ?? (e as Error).message);
    throw new ZooError(`${where}: cannot fetch the zoo's manifest (${why})`);
  }
  if (!res.ok) throw new ZooError(`${where}: HTTP ${res.status} ${res.statusText} (is ${loc.base} a zoo?)`);
  return parseManifest(await res.text(), where);
}

/** Writes `zoo.json` into `dir` atomically (temp file, fsync, rename). */
export function writeManifest(dir: string, m: ZooManifest): void {
  writeTextAtomic(join(dir, ZOO_MANIFEST), `${JSON.stringify(m, null, 2)}\n`);
}

/** `m` with `e` in place of the entry of the same name (or appended), entries sorted by name. */
export function withEntry(m: ZooManifest, e: ZooEntry): ZooManifest {
  const entries = m.entries.filter((x) => x.name !== e.name);
  entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...m, version: 1, entries };
}
