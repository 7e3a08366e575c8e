/**
 * CIFAR-10 / CIFAR-100 in the official binary format, from the `.tar.gz` archive or its extracted
 * folder. Records are a label byte (CIFAR-100: coarse then fine) and 3,072 bytes of planar
 * R, G, B 32×32 planes; they become `(32, 32, 3)` images.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArrayDataset } from './array-dataset.js';
import { readTar } from './archive.js';

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

/** Loads a split from `source`: the binary `.tar.gz`, or a folder holding the `.bin` files (or their parent). */
export async function cifar(variant: CifarVariant, split: 'train' | 'test', source: string): Promise<ArrayDataset> {
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
