/**
 * `selfsup data prepare`: fetches a standard dataset (CIFAR-10/100, STL-10, MNIST, Fashion-MNIST)
 * from its official location — or takes a local archive or folder — checks it against the official
 * MD5 sums (torchvision's), and lays it out where `openDataset` reads it, with a manifest naming the
 * format. Running it again on a prepared folder does nothing.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ProgressFactory, ProgressSink } from '../core/progress.js';
import type { Dataset } from './datasets/base.js';
import { type DataFormat, MANIFEST, openDataset } from './open.js';

export type PreparableName = 'cifar10' | 'cifar100' | 'stl10' | 'mnist' | 'fashion-mnist';

interface SourceFile {
  name: string;
  md5: string;
}

interface ArchiveFile extends SourceFile {
  /** The folder the archive extracts to. */
  folder: string;
}

interface Source {
  format: DataFormat;
  /** One archive to extract, or loose files to copy. */
  kind: 'archive' | 'files';
  /** Base URLs tried in order (the file name is appended). */
  mirrors: string[];
  /** Archive datasets: the archives accepted, the first one downloaded. File sets: every file. */
  files: (SourceFile | ArchiveFile)[];
  splits: string[];
}

/** Official locations and MD5 sums, as torchvision lists them. */
export const SOURCES: Record<PreparableName, Source> = {
  cifar10: {
    format: 'cifar10',
    kind: 'archive',
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [
      { name: 'cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a', folder: 'cifar-10-batches-py' },
      { name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', folder: 'cifar-10-batches-bin' },
    ],
    splits: ['train', 'test'],
  },
  cifar100: {
    format: 'cifar100',
    kind: 'archive',
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [
      { name: 'cifar-100-python.tar.gz', md5: 'eb9058c3a382ffc7106e4002c42a8d85', folder: 'cifar-100-python' },
      { name: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8', folder: 'cifar-100-binary' },
    ],
    splits: ['train', 'test'],
  },
  stl10: {
    format: 'stl10',
    kind: 'archive',
    mirrors: ['http://ai.stanford.edu/~acoates/stl10/'],
    files: [{ name: 'stl10_binary.tar.gz', md5: '91f7769df0f17e558f3565bffb0c7dfb', folder: 'stl10_binary' }],
    splits: ['train', 'test', 'unlabeled'],
  },
  mnist: {
    format: 'mnist',
    kind: 'files',
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    ],
    splits: ['train', 'test'],
  },
  'fashion-mnist': {
    format: 'fashion-mnist',
    kind: 'files',
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
    splits: ['train', 'test'],
  },
};

export const PREPARABLE = Object.keys(SOURCES) as PreparableName[];

export interface PrepareOptions {
  /** Target folder. */
  out: string;
  /** A local archive (archive datasets) or folder / archive holding the files. */
  from?: string;
  /** Download from here instead of the official mirror (a base URL for MNIST-style file sets). */
  url?: string;
  /** Expected checksum of a single downloaded or given file (`md5:<hex>` or `sha256:<hex>`), instead of the official one. */
  checksum?: string;
  /** Abort a download after this long without data (ms). */
  timeoutMs?: number;
  /** Redo even if `out` is already prepared. */
  force?: boolean;
  /** Notes: what was downloaded, checked, extracted (default: stderr). */
  log?: (line: string) => void;
  /** Bars for downloads (MiB received) and extraction (MiB of the archive read, files written); none without it. */
  progress?: ProgressFactory;
}

export interface PrepareResult {
  dir: string;
  /** True when `out` was already prepared and nothing was done. */
  skipped: boolean;
  /** Size of each split. */
  sizes: Record<string, number>;
}

/** A failure the user can act on (bad path, network, checksum); the message says what and where. */
export class PrepareError extends Error {
  override name = 'PrepareError';
}

/** Notes to stderr (what `data prepare` and `zoo get` print); progress goes through a `ProgressFactory`. */
export function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** `{ algo, hex }` of a `md5:<hex>` / `sha256:<hex>` string. */
export function parseChecksum(s: string): { algo: 'md5' | 'sha256'; hex: string } {
  const m = /^(md5|sha256):([0-9a-f]+)$/i.exec(s.trim());
  const len = m ? (m[1].toLowerCase() === 'md5' ? 32 : 64) : 0;
  if (!m || m[2].length !== len)
    throw new PrepareError(`--checksum must be md5:<32 hex digits> or sha256:<64 hex digits>, got '${s}'`);
  return { algo: m[1].toLowerCase() as 'md5' | 'sha256', hex: m[2].toLowerCase() };
}

async function hashFile(path: string, algo: 'md5' | 'sha256'): Promise<string> {
  const h = createHash(algo);
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
/** Bytes as MiB to one decimal: the unit the byte bars count in. */
const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

/**
 * Downloads `url` to `dest` via `<dest>.part`, hashing as it goes; returns the hex digest. Throws a
 * {@link PrepareError} on HTTP errors, stalls (no data for `timeoutMs`) and, when `expected` is
 * given, on a digest mismatch (naming the file and both digests): `dest` is then neither written nor
 * replaced, and the partial file is removed.
 */
export async function download(
  url: string,
  dest: string,
  algo: 'md5' | 'sha256',
  timeoutMs: number,
  log: (l: string) => void = defaultLog,
  progress?: ProgressFactory,
  expected?: string,
): Promise<string> {
  const ctrl = new AbortController();
  let timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(), timeoutMs);
  };
  const tmp = `${dest}.part`;
  const fail = (why: string): never => {
    throw new PrepareError(`download of ${url} failed: ${why}`);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: ctrl.signal, redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return fail(
        ctrl.signal.aborted
          ? `no response within ${timeoutMs / 1000} s`
          : `${cause?.code ?? ''} ${cause?.message ?? (e as Error).message}`.trim(),
      );
    }
    if (!res.ok || !res.body) return fail(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get('content-length')) || 0;
    const h = createHash(algo);
    const file = createWriteStream(tmp);
    let got = 0;
    // Without a content-length there is no total to count towards: the note after the download says the size.
    const bar = total ? progress?.(`${basename(dest)} MiB`, mib(total)) : undefined;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        poke();
        h.update(chunk);
        got += chunk.length;
        if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
        bar?.update(mib(got));
      }
    } catch (e) {
      file.destroy();
      return fail(ctrl.signal.aborted ? `no data for ${timeoutMs / 1000} s (stalled after ${mb(got)})` : (e as Error).message);
    } finally {
      bar?.done();
    }
    await new Promise<void>((resolveEnd, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolveEnd())));
    if (total && got !== total) return fail(`got ${got} of ${total} bytes`);
    const digest = h.digest('hex');
    if (expected !== undefined && digest !== expected.toLowerCase())
      return fail(
        `${basename(dest)}: ${algo} mismatch (got ${digest}, expected ${expected.toLowerCase()}); the partial file was removed`,
      );
    log(`downloaded ${basename(dest)} (${mb(got)})`);
    renameSync(tmp, dest);
    return digest;
  } finally {
    clearTimeout(timer);
    rmSync(tmp, { force: true });
  }
}

/**
 * Extracts a `.tar` / `.tar.gz` into `dir`: regular files and folders only, no path may leave `dir`.
 * `progress` gets a bar over the MiB of the archive read (a tar's member count is unknown until its
 * end), with the files written so far.
 */
export async function extractTar(
  archive: string,
  dir: string,
  want: (name: string) => boolean = () => true,
  progress?: ProgressFactory,
): Promise<number> {
  const root = resolve(dir);
  const extract = tar.extract();
  let count = 0;
  let refused: PrepareError | null = null;
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^(\.\/)+/, '');
    const target = resolve(root, name);
    const inside = target === root || target.startsWith(root + sep);
    if (!inside) refused ??= new PrepareError(`${archive}: member '${header.name}' would be written outside ${dir}; refusing`);
    if (refused || header.type !== 'file' || !want(name)) {
      if (!refused && header.type === 'directory') mkdirSync(target, { recursive: true });
      stream.on('end', next);
      stream.resume();
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    count++;
    pipeline(stream, createWriteStream(target)).then(() => next(), next);
  });
  const gz = await isGzip(archive);
  const bar: ProgressSink | undefined = progress?.(`extracting ${basename(archive)} MiB`, mib(statSync(archive).size));
  let read = 0;
  // Counts the archive's bytes on their way in (pipeline keeps the back-pressure).
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      read += chunk.length;
      bar?.update(mib(read), { files: count });
      cb(null, chunk);
    },
  });
  try {
    if (gz) await pipeline(createReadStream(archive), counted, createGunzip(), extract);
    else await pipeline(createReadStream(archive), counted, extract);
  } catch (e) {
    throw new PrepareError(`${archive}: cannot extract (${(e as Error).message})`);
  } finally {
    bar?.done();
  }
  if (refused) throw refused;
  return count;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Opens every split, proving the layout is readable; returns their sizes. */
async function check(dir: string, src: Source): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const split of src.splits) {
    let ds: Dataset;
    try {
      ds = await openDataset({ path: dir, format: src.format, split });
    } catch (e) {
      throw new PrepareError(`${dir}: the prepared ${src.format} does not read back (${(e as Error).message})`);
    }
    sizes[split] = ds.length;
    (ds as { close?: () => void }).close?.();
  }
  return sizes;
}

type Checksum = { algo: 'md5' | 'sha256'; hex: string };

/**
 * Verifies a local file against the checksums it may have: a mismatch is only a warning, since a
 * repacked copy differs byte-wise and the contents are checked anyway by reading every split.
 */
async function verifyLocal(path: string, expected: Checksum[], log: (l: string) => void): Promise<void> {
  const got = await hashFile(path, expected[0].algo);
  if (expected.some((e) => e.hex === got)) log(`${basename(path)}: ${expected[0].algo} ok`);
  else
    log(
      `warning: ${path} is not byte-identical to the official file (${expected[0].algo} ${got}, expected ${expected.map((e) => e.hex).join(' or ')}); ` +
        'using it: its contents are checked by reading every split',
    );
}

/** Prepares dataset `name` in `o.out` (see the module doc). */
export async function prepareDataset(name: PreparableName, o: PrepareOptions): Promise<PrepareResult> {
  const src = SOURCES[name];
  const log = o.log ?? defaultLog;
  const dir = resolve(o.out);
  const expected = (f: SourceFile): Checksum => (o.checksum ? parseChecksum(o.checksum) : { algo: 'md5', hex: f.md5 });
  if (o.checksum && src.kind === 'files' && !o.from)
    throw new PrepareError(`--checksum applies to one file; ${name} downloads ${src.files.length}`);
  if (existsSync(join(dir, MANIFEST)) && !o.force) {
    try {
      const sizes = await check(dir, src);
      log(`${name}: already prepared in ${dir} (${fmtSizes(sizes)}); --force redoes it`);
      return { dir, skipped: true, sizes };
    } catch {
      log(`${name}: ${dir} has a manifest but does not read back; preparing again`);
    }
  }
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const work = join(dir, `.prepare-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    if (o.from) await fromLocal(name, src, resolve(o.from), work, log, expected, o.progress);
    else await fromNetwork(name, src, o, work, log, expected);
    // Move the result into place only once it is complete.
    for (const entry of readdirSync(work)) {
      rmSync(join(dir, entry), { recursive: true, force: true });
      renameSync(join(work, entry), join(dir, entry));
    }
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    // Leave no empty folder behind that this run created.
    if (!existed && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    throw e;
  }
  rmSync(work, { recursive: true, force: true });
  const sizes = await check(dir, src);
  writeFileSync(
    join(dir, MANIFEST),
    `${JSON.stringify({ format: src.format, name, source: o.from ? resolve(o.from) : (o.url ?? src.mirrors[0]), sizes }, null, 2)}\n`,
  );
  log(`${name}: prepared in ${dir} (${fmtSizes(sizes)})`);
  return { dir, skipped: false, sizes };
}

function fmtSizes(sizes: Record<string, number>): string {
  return Object.entries(sizes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function fromLocal(
  name: PreparableName,
  src: Source,
  from: string,
  work: string,
  log: (l: string) => void,
  expected: (f: SourceFile) => Checksum,
  progress: ProgressFactory | undefined,
): Promise<void> {
  if (!existsSync(from)) throw new PrepareError(`--from ${from}: no such file or directory`);
  const isDir = statSync(from).isDirectory();
  if (src.kind === 'archive') {
    const archives = src.files as ArchiveFile[];
    if (isDir) {
      // The extracted folder itself or its parent; copied as it is.
      const hit = archives.find((a) => existsSync(join(from, a.folder)) || basename(from) === a.folder);
      if (!hit) throw new PrepareError(`--from ${from}: no ${archives.map((a) => `${a.folder}/`).join(' or ')} folder there`);
      const inner = existsSync(join(from, hit.folder)) ? join(from, hit.folder) : from;
      log(`copying ${inner}`);
      copyTree(inner, join(work, hit.folder));
      return;
    }
    await verifyLocal(from, archives.map(expected), log);
    log(`extracting ${from}`);
    const n = await extractTar(from, work, undefined, progress);
    if (!archives.some((a) => existsSync(join(work, a.folder))))
      throw new PrepareError(
        `--from ${from}: not a ${name} archive (it has no ${archives.map((a) => `${a.folder}/`).join(' or ')} folder; ${n} files)`,
      );
    return;
  }
  const wanted = new Set(src.files.map((f) => f.name));
  if (isDir) {
    const base = existsSync(join(from, 'raw')) && !existsSync(join(from, src.files[0].name)) ? join(from, 'raw') : from;
    for (const f of src.files) {
      const p = [join(base, f.name), join(base, f.name.replace(/\.gz$/, ''))].find((c) => existsSync(c));
      if (!p) throw new PrepareError(`--from ${from}: ${f.name} (or ${f.name.replace(/\.gz$/, '')}) is missing`);
      if (p.endsWith('.gz')) await verifyLocal(p, [expected(f)], log);
      copyFileSync(p, join(work, basename(p)));
    }
    return;
  }
  log(`extracting ${from}`);
  await extractTar(from, work, (n) => wanted.has(basename(n)) || wanted.has(`${basename(n)}.gz`), progress);
  // Members may sit in sub-folders: bring the files to the top.
  for (const f of src.files) {
    const found = findFile(work, [f.name, f.name.replace(/\.gz$/, '')]);
    if (!found) throw new PrepareError(`--from ${from}: the archive has no ${f.name}`);
    if (dirname(found) !== work) renameSync(found, join(work, basename(found)));
  }
  for (const e of readdirSync(work, { withFileTypes: true }))
    if (e.isDirectory()) rmSync(join(work, e.name), { recursive: true });
}

async function fromNetwork(
  name: PreparableName,
  src: Source,
  o: PrepareOptions,
  work: string,
  log: (l: string) => void,
  expected: (f: SourceFile) => Checksum,
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  // Archive datasets download their first archive; --url then names the archive itself.
  const files = src.kind === 'archive' ? src.files.slice(0, 1) : src.files;
  for (const f of files) {
    const want = expected(f);
    const dest = join(work, f.name);
    const urls =
      o.url && src.kind === 'archive'
        ? [o.url]
        : (o.url ? [o.url] : src.mirrors).map((b) => `${b.replace(/\/?$/, '/')}${f.name}`);
    const errors: string[] = [];
    for (const url of urls) {
      try {
        const got = await download(url, dest, want.algo, timeoutMs, log, o.progress);
        if (got !== want.hex)
          throw new PrepareError(
            `${url}: ${want.algo} checksum mismatch (got ${got}, expected ${want.hex}); the download is corrupt or not the official file`,
          );
        log(`${f.name}: ${want.algo} ok`);
        errors.length = 0;
        break;
      } catch (e) {
        rmSync(dest, { force: true });
        errors.push((e as Error).message);
      }
    }
    if (errors.length)
      throw new PrepareError(
        `${errors.join('\n')}\n(without network access: fetch ${urls.join(' or ')} elsewhere, then run \`selfsup data prepare ${name} --from <file or folder>\`)`,
      );
  }
  if (src.kind === 'archive') {
    const a = files[0] as ArchiveFile;
    const archive = join(work, a.name);
    log(`extracting ${a.name}`);
    await extractTar(archive, work, undefined, o.progress);
    rmSync(archive);
    const folders = (src.files as ArchiveFile[]).map((f) => f.folder);
    if (!folders.some((d) => existsSync(join(work, d))))
      throw new PrepareError(`the downloaded archive has no ${folders.map((d) => `${d}/`).join(' or ')} folder`);
  }
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else if (e.isFile()) copyFileSync(a, b);
  }
}

function findFile(dir: string, names: string[]): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile() && names.includes(e.name)) return p;
    if (e.isDirectory()) {
      const f = findFile(p, names);
      if (f) return f;
    }
  }
  return null;
}
