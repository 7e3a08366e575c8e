/**
 * `selfsup zoo get`: fetches one zoo entry's files (from a zoo directory or over http(s)) into a
 * folder, verifying each file's sha256 while it streams. A file is written under a temporary name
 * and renamed only once its hash matches, so a corrupt or interrupted transfer leaves nothing
 * behind; a file already there with the right hash is not fetched again.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defaultLog, download } from '../../data/prepare.js';
import {
  defaultZooDir,
  describeZoo,
  entryFiles,
  type FileRole,
  readManifest,
  withEntry,
  writeManifest,
  type ZooEntry,
  ZooError,
  type ZooLocation,
  zooFileLocation,
} from './manifest.js';

export interface ZooGetOptions {
  /** Target folder (default: `<local zoo cache>/<name>`, and the entry is then recorded in the cache's zoo.json). */
  out?: string;
  /** Abort a download after this long without data (ms; default 30 s). */
  timeoutMs?: number;
  /** Progress and notes (default: stderr). */
  log?: (line: string) => void;
}

export interface ZooGetFile {
  role: FileRole;
  path: string;
  sha256: string;
  bytes: number;
  /** False when the file was already there with the right hash. */
  fetched: boolean;
}

export interface ZooGetResult {
  name: string;
  dir: string;
  entry: ZooEntry;
  files: ZooGetFile[];
}

/** sha256 of a local file (hex), streamed. */
export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Copies `src` to `dest` via `<dest>.part`, hashing as it goes; renames only when the hash is `expected`. */
async function copyVerified(src: string, dest: string, expected: string, role: FileRole): Promise<void> {
  if (!existsSync(src)) throw new ZooError(`${src}: no such file (the zoo's files.${role} of this entry)`);
  const tmp = `${dest}.part`;
  const h = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      h.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(src), hashing, createWriteStream(tmp));
    const got = h.digest('hex');
    if (got !== expected)
      throw new ZooError(
        `${basename(dest)} (from ${src}): sha256 mismatch (got ${got}, expected ${expected}); the partial file was removed`,
      );
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The entry named `name`, or an error listing the zoo's entries. */
export function findEntry(entries: ZooEntry[], name: string, where: string): ZooEntry {
  const e = entries.find((x) => x.name === name);
  if (e) return e;
  const names = entries.map((x) => x.name);
  throw new ZooError(
    `no entry '${name}' in the zoo ${where}; ${names.length ? `available: ${names.join(', ')}` : 'it has no entries'}`,
  );
}

/** Fetches entry `name` of the zoo at `loc` (see the module doc). */
export async function zooGet(loc: ZooLocation, name: string, o: ZooGetOptions = {}): Promise<ZooGetResult> {
  const log = o.log ?? defaultLog;
  const m = await readManifest(loc, { timeoutMs: o.timeoutMs });
  const entry = findEntry(m.entries, name, describeZoo(loc));
  const names = entryFiles(entry).map(([, f]) => basename(f.path));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ZooError(`${describeZoo(loc)}: entry '${name}' lists two files named '${twice}'`);
  const cache = defaultZooDir();
  const dir = resolve(o.out ?? join(cache, name));
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const files: ZooGetFile[] = [];
  try {
    for (const [role, f] of entryFiles(entry)) {
      const dest = join(dir, basename(f.path));
      const have = existsSync(dest) && (await sha256Of(dest)) === f.sha256;
      if (!have) {
        const from = zooFileLocation(loc, f.path);
        if (loc.kind === 'url') await download(from, dest, 'sha256', o.timeoutMs ?? 30_000, log, undefined, f.sha256);
        else await copyVerified(from, dest, f.sha256, role);
        log(`${basename(dest)}: sha256 ok`);
      } else log(`${basename(dest)}: already there, sha256 ok`);
      files.push({ role, path: dest, sha256: f.sha256, bytes: f.bytes, fetched: !have });
    }
  } catch (e) {
    // Leave no empty folder behind that this call created.
    if (!existed && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    throw e;
  }
  // Fetched into the local cache: record it there, so the cache is itself a zoo (`zoo list`, `zoo get` offline).
  if (dir === join(cache, name) && !(loc.kind === 'dir' && resolve(loc.dir) === cache)) {
    const cached = await readManifest({ kind: 'dir', dir: cache }, { missingIsEmpty: true });
    const local: Record<string, unknown> = {};
    for (const [role, f] of entryFiles(entry)) local[role] = { ...f, path: `${name}/${basename(f.path)}` };
    writeManifest(cache, withEntry(cached, { ...entry, files: local as ZooEntry['files'] }));
  }
  return { name, dir, entry, files };
}
