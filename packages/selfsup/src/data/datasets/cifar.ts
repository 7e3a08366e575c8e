/**
 * CIFAR-10 / CIFAR-100 in the official binary format, from the `.tar.gz` archive or its extracted
 * folder. Records are a label byte (CIFAR-100: coarse then fine) and 3,072 bytes of planar
 * R, G, B 32×32 planes; they become `(32, 32, 3)` images.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArrayDataset } from './array-dataset.js';
import { readTar } from './archive.js';
import { loadDatasetPickle, numpyUint8 } from './numpy-pickle.js';

export type CifarVariant = 'cifar10' | 'cifar100';

const FILES: Record<CifarVariant, { dir: string; train: string[]; test: string[]; names: string; labelBytes: number }> = {
  cifar10: {
    dir: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    names: 'batches.meta.txt',
    labelBytes: 1,
  },
  cifar100: { dir: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'], names: 'fine_label_names.txt', labelBytes: 2 },
};

const PIXELS = 32 * 32;

function parseRecords(
  name: string,
  chunks: Buffer[],
  labelBytes: number,
  numClasses: number,
): { images: Uint8Array; labels: Int32Array } {
  const rec = labelBytes + 3 * PIXELS;
  const total = chunks.reduce((a, c) => a + c.length, 0);
  if (total % rec !== 0)
    throw new Error(`${name}: ${total} bytes is not a whole number of ${rec}-byte records (truncated file?)`);
  const n = total / rec;
  const images = new Uint8Array(n * 3 * PIXELS);
  const labels = new Int32Array(n);
  let i = 0;
  for (const c of chunks) {
    for (let off = 0; off < c.length; off += rec, i++) {
      const label = c[off + labelBytes - 1]; // CIFAR-100: the fine label is the second byte
      if (label >= numClasses) throw new Error(`${name}: record ${i} has label ${label}, expected < ${numClasses}`);
      labels[i] = label;
      const src = off + labelBytes;
      const dst = i * 3 * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        images[dst + 3 * p] = c[src + p];
        images[dst + 3 * p + 1] = c[src + PIXELS + p];
        images[dst + 3 * p + 2] = c[src + 2 * PIXELS + p];
      }
    }
  }
  return { images, labels };
}

const PY_FILES: Record<
  CifarVariant,
  { dir: string; train: string[]; test: string[]; meta: string; labels: string; names: string }
> = {
  cifar10: {
    dir: 'cifar-10-batches-py',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`),
    test: ['test_batch'],
    meta: 'batches.meta',
    labels: 'labels',
    names: 'label_names',
  },
  cifar100: {
    dir: 'cifar-100-python',
    train: ['train'],
    test: ['test'],
    meta: 'meta',
    labels: 'fine_labels',
    names: 'fine_label_names',
  },
};

/** Whether `source` (folder or archive) holds the python version rather than the binary one. */
async function isPythonFormat(variant: CifarVariant, source: string): Promise<boolean> {
  if (statSync(source).isDirectory()) {
    return existsSync(join(source, PY_FILES[variant].dir)) || existsSync(join(source, PY_FILES[variant].train[0]));
  }
  return /python/.test(source) || !/binary|bin/.test(source);
}

/** The python version (`cifar-10-python.tar.gz` / `cifar-100-python.tar.gz`, or its folder). */
async function cifarPython(variant: CifarVariant, split: 'train' | 'test', source: string): Promise<ArrayDataset> {
  const f = PY_FILES[variant];
  const wanted = [...f[split], f.meta];
  const files = new Map<string, Uint8Array>();
  if (statSync(source).isDirectory()) {
    const dir = existsSync(join(source, f.dir)) ? join(source, f.dir) : source;
    for (const w of wanted) {
      const p = join(dir, w);
      if (!existsSync(p)) throw new Error(`${variant}: ${p} is missing`);
      files.set(w, readFileSync(p));
    }
  } else {
    const members = await readTar(source, (n) => wanted.some((w) => n.endsWith(`/${w}`)));
    for (const [n, b] of members) files.set(n.slice(n.lastIndexOf('/') + 1), b);
    const missing = wanted.filter((w) => !files.has(w));
    if (missing.length) throw new Error(`${variant}: ${source} lacks ${missing.join(', ')}`);
  }
  const meta = loadDatasetPickle(files.get(f.meta) as Uint8Array, `${source}:${f.meta}`);
  const classes = meta[f.names] as string[];
  if (!Array.isArray(classes)) throw new Error(`${variant}: ${f.meta} has no ${f.names}`);
  const blocks: Uint8Array[] = [];
  const labels: number[] = [];
  for (const w of f[split]) {
    const d = loadDatasetPickle(files.get(w) as Uint8Array, `${source}:${w}`);
    const arr = numpyUint8(d.data, `${variant}:${w} data`);
    const ls = d[f.labels] as number[];
    if (arr.shape.length !== 2 || arr.shape[1] !== 3 * PIXELS || !Array.isArray(ls) || ls.length !== arr.shape[0]) {
      throw new Error(
        `${variant}:${w}: expected data (N, 3072) and N labels, got [${arr.shape}] and ${Array.isArray(ls) ? ls.length : 'no'} labels`,
      );
    }
    blocks.push(arr.data);
    labels.push(...ls);
  }
  // Each row is planar R, G, B like a binary record without its label byte.
  const records = blocks.map((b, k) => {
    const n = b.length / (3 * PIXELS);
    const rec = Buffer.alloc(n * (1 + 3 * PIXELS));
    const base = blocks.slice(0, k).reduce((a, x) => a + x.length / (3 * PIXELS), 0);
    for (let i = 0; i < n; i++) {
      rec[i * (1 + 3 * PIXELS)] = labels[base + i];
      rec.set(b.subarray(i * 3 * PIXELS, (i + 1) * 3 * PIXELS), i * (1 + 3 * PIXELS) + 1);
    }
    return rec;
  });
  const parsed = parseRecords(`${variant}:${split}`, records, 1, classes.length);
  return new ArrayDataset(
    `${variant === 'cifar10' ? 'CIFAR10' : 'CIFAR100'}:${split}`,
    parsed.images,
    { height: 32, width: 32, channels: 3 },
    parsed.labels,
    classes,
  );
}

/**
 * Loads a split from `source`: the official binary or python `.tar.gz`, or the folder holding
 * its files (or their parent).
 */
export async function cifar(variant: CifarVariant, split: 'train' | 'test', source: string): Promise<ArrayDataset> {
  if (!existsSync(source)) throw new Error(`${variant}: ${source} does not exist`);
  const binDir = existsSync(join(source, FILES[variant].dir)) || existsSync(join(source, FILES[variant][split][0]));
  if (
    statSync(source).isDirectory() ? !binDir && (await isPythonFormat(variant, source)) : await isPythonFormat(variant, source)
  ) {
    return cifarPython(variant, split, source);
  }
  const f = FILES[variant];
  const wanted = [...f[split], f.names];
  const files = new Map<string, Buffer>();
  if (!existsSync(source)) throw new Error(`${variant}: ${source} does not exist`);
  if (statSync(source).isDirectory()) {
    const dir = existsSync(join(source, f.dir)) ? join(source, f.dir) : source;
    for (const w of wanted) {
      const p = join(dir, w);
      if (!existsSync(p)) throw new Error(`${variant}: ${p} is missing (expected the binary version's files)`);
      files.set(w, readFileSync(p));
    }
  } else {
    const members = await readTar(source, (n) => wanted.some((w) => n.endsWith(`/${w}`) || n === w));
    for (const [n, b] of members) files.set(n.slice(n.lastIndexOf('/') + 1), b);
    const missing = wanted.filter((w) => !files.has(w));
    if (missing.length) throw new Error(`${variant}: ${source} lacks ${missing.join(', ')} (is it the binary version?)`);
  }
  const classes = (files.get(f.names) as Buffer)
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  const { images, labels } = parseRecords(
    `${variant}:${split}`,
    f[split].map((w) => files.get(w) as Buffer),
    f.labelBytes,
    classes.length,
  );
  return new ArrayDataset(
    `${variant === 'cifar10' ? 'CIFAR10' : 'CIFAR100'}:${split}`,
    images,
    { height: 32, width: 32, channels: 3 },
    labels,
    classes,
  );
}
