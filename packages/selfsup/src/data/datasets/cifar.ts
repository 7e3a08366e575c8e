/**
 * CIFAR-10 / CIFAR-100 (Krizhevsky 2009) in the official binary or python format, from the
 * `.tar.gz` archive or its extracted folder. Binary records are a label byte (CIFAR-100: coarse then
 * fine) and 3,072 bytes of planar R, G, B 32×32 planes; python batches hold the same planes as
 * numpy rows. They become `(32, 32, 3)` images.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArrayDataset } from './array-dataset.js';
import { readTarSync } from './archive.js';
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
  chunks: Uint8Array[],
  labelBytes: number,
  numClasses: number,
): { images: Uint8Array; labels: Int32Array } {
  const rec = labelBytes + 3 * PIXELS;
  const total = chunks.reduce((a, c) => a + c.length, 0);
  if (total % rec !== 0)
    throw new Error(`${name}: ${total} bytes is not a whole number of ${rec}-byte records (truncated file?)`);
  const n = total / rec;
  // Shared: loader workers read this block (ArrayDataset) rather than parsing the files again.
  const images = new Uint8Array(new SharedArrayBuffer(n * 3 * PIXELS));
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

/** Reads the named files from a folder (or its format sub-folder); null when one is missing. */
function readDir(dir: string, names: string[]): Map<string, Uint8Array> | null {
  const files = new Map<string, Uint8Array>();
  for (const n of names) {
    const p = join(dir, n);
    if (!existsSync(p)) return null;
    files.set(n, readFileSync(p));
  }
  return files;
}

/**
 * The files of `split` in whichever version `source` holds: a folder (the extracted archive or its
 * parent) or the archive itself, read once.
 */
function sourceFiles(
  variant: CifarVariant,
  split: 'train' | 'test',
  source: string,
): { python: boolean; files: Map<string, Uint8Array> } {
  if (!existsSync(source)) throw new Error(`${variant}: ${source} does not exist`);
  const py = [...PY_FILES[variant][split], PY_FILES[variant].meta];
  const bin = [...FILES[variant][split], FILES[variant].names];
  if (statSync(source).isDirectory()) {
    for (const [python, dir, names] of [
      [false, FILES[variant].dir, bin],
      [true, PY_FILES[variant].dir, py],
    ] as const) {
      const files = readDir(join(source, dir), names) ?? readDir(source, names);
      if (files) return { python, files };
    }
    throw new Error(
      `${variant}: ${source} holds neither the binary (${FILES[variant].dir}/${bin[0]}, …) nor the python version (${PY_FILES[variant].dir}/${py[0]}, …)`,
    );
  }
  const wanted = new Set([...py, ...bin]);
  const files = new Map<string, Uint8Array>();
  for (const [n, b] of readTarSync(source, (n) => wanted.has(n.slice(n.lastIndexOf('/') + 1))))
    files.set(n.slice(n.lastIndexOf('/') + 1), b);
  for (const [python, names] of [
    [false, bin],
    [true, py],
  ] as const) {
    if (names.every((n) => files.has(n))) return { python, files };
  }
  throw new Error(
    `${variant}: ${source} is not a CIFAR archive with the ${split} split (lacks ${bin.filter((n) => !files.has(n)).join(', ')} of the binary and ${py.filter((n) => !files.has(n)).join(', ')} of the python version)`,
  );
}

/** The python version: pickled dicts of numpy arrays. */
function cifarPython(
  variant: CifarVariant,
  split: 'train' | 'test',
  source: string,
  files: Map<string, Uint8Array>,
): ArrayDataset {
  const f = PY_FILES[variant];
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
  return cifarSync(variant, split, source);
}

/** `cifar` without a promise, for config builders (the registry builds synchronously). */
export function cifarSync(variant: CifarVariant, split: 'train' | 'test', source: string): ArrayDataset {
  const { python, files } = sourceFiles(variant, split, source);
  if (python) return cifarPython(variant, split, source, files);
  const f = FILES[variant];
  const classes = Buffer.from(files.get(f.names) as Uint8Array)
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  const { images, labels } = parseRecords(
    `${variant}:${split}`,
    f[split].map((w) => files.get(w) as Uint8Array),
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
