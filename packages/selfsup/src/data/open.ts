/**
 * Opens a dataset from a path, recognising its format, for command-line flags such as
 * `--data <path>`: an image folder (class sub-folders → labelled, otherwise every image under it,
 * unlabeled), an ImageList file, a `.tar` / `.tar.gz` of images, a CIFAR-10/100 archive or folder
 * (binary or python), MNIST / Fashion-MNIST IDX files, or an STL-10 folder. `split` picks a part
 * where the format has them (`train` by default); a folder holding `train/`, `val/`, `test/`
 * sub-folders is split by them. `selfsup data prepare` writes a `selfsup-dataset.json` manifest
 * naming the format, which wins over guessing.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import type { Dataset } from './datasets/base.js';
import { CachedDataset } from './datasets/cache.js';
import { FileDataset } from './datasets/file-dataset.js';
import { takeSamples } from './datasets/subset.js';
import { firstTarMember } from './datasets/archive.js';
import { cifarSync } from './datasets/cifar.js';
import { ImageArchive } from './datasets/image-archive.js';
import { IMAGE_EXTENSIONS, ImageFolder } from './datasets/image-folder.js';
import { ImageList } from './datasets/image-list.js';
import { fashionMnist, mnist } from './datasets/mnist.js';
import { STL10 } from './datasets/stl10.js';

export type DataFormat =
  | 'image-folder'
  | 'image-list'
  | 'image-archive'
  | 'cifar10'
  | 'cifar100'
  | 'mnist'
  | 'fashion-mnist'
  | 'stl10';

export const DATA_FORMATS: readonly DataFormat[] = [
  'image-folder',
  'image-list',
  'image-archive',
  'cifar10',
  'cifar100',
  'mnist',
  'fashion-mnist',
  'stl10',
];

export interface OpenSpec {
  path: string;
  /** `train` (default), `test`, `val`, `unlabeled` (STL-10) — where the format has splits. */
  split?: string;
  /** Skip detection. */
  format?: DataFormat;
  /** Where an ImageList's relative paths start (default: the list file's folder). */
  dataPrefix?: string;
  /** 3 (RGB, default) or 1 for decoded image formats. */
  channels?: 1 | 3;
  /** Decode an image folder or list once into a uint8 cache here and read from it after (`CachedDataset`). */
  cacheDir?: string;
  /** Only the first `numSamples` samples. */
  numSamples?: number;
}

/** The manifest `selfsup data prepare` writes next to a prepared dataset. */
export const MANIFEST = 'selfsup-dataset.json';

const SPLIT_DIRS = ['train', 'val', 'test', 'unlabeled'];

/** Whether any of `names` exists in `dir`. */
const has = (dir: string, ...names: string[]) => names.some((n) => existsSync(join(dir, n)));

const idxIn = (dir: string) => ['train', 't10k'].some((p) => has(dir, `${p}-images-idx3-ubyte`, `${p}-images-idx3-ubyte.gz`));

/** What a folder holds, or null for "just images". The folder to open may be a sub-folder. */
function detectDir(dir: string): { format: DataFormat; root: string } | null {
  const manifest = join(dir, MANIFEST);
  if (existsSync(manifest)) {
    let format: unknown;
    try {
      format = (JSON.parse(readFileSync(manifest, 'utf8')) as { format?: unknown }).format;
    } catch (e) {
      throw new Error(`${manifest}: not valid JSON (${(e as Error).message})`);
    }
    if (!DATA_FORMATS.includes(format as DataFormat))
      throw new Error(`${manifest}: unknown format ${JSON.stringify(format)} (expected one of ${DATA_FORMATS.join(', ')})`);
    return { format: format as DataFormat, root: dir };
  }
  if (has(dir, 'cifar-10-batches-bin', 'cifar-10-batches-py', 'data_batch_1.bin') || has(dir, 'data_batch_1'))
    return { format: 'cifar10', root: dir };
  if (has(dir, 'cifar-100-binary', 'cifar-100-python') || (has(dir, 'train.bin') && has(dir, 'fine_label_names.txt')))
    return { format: 'cifar100', root: dir };
  if (has(dir, 'train') && has(dir, 'meta') && statSync(join(dir, 'train')).isFile()) return { format: 'cifar100', root: dir };
  if (has(dir, 'stl10_binary', 'train_X.bin', 'unlabeled_X.bin', 'test_X.bin')) return { format: 'stl10', root: dir };
  for (const root of [dir, join(dir, 'raw')]) {
    if (idxIn(root)) return { format: /fashion/i.test(dir) ? 'fashion-mnist' : 'mnist', root };
  }
  return null;
}

/** The first member name of a tar or tar.gz, read from its first block only. */
function firstMember(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    let block: Buffer = head.subarray(0, n);
    if (block[0] === 0x1f && block[1] === 0x8b) {
      try {
        block = gunzipSync(block, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        return null;
      }
    }
    return firstTarMember(block);
  } finally {
    closeSync(fd);
  }
}

function isTar(path: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(path);
}

/** Detects the format of `path` (a folder or a file) and where to open it. */
export function detectFormat(path: string, split?: string): { format: DataFormat; root: string } {
  if (!existsSync(path)) throw new Error(`${path}: no such file or directory`);
  const st = statSync(path);
  if (st.isDirectory()) {
    const found = detectDir(path);
    if (found) return found;
    const subdirs = readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    if (subdirs.length > 0 && subdirs.every((e) => SPLIT_DIRS.includes(e.name))) {
      const part = split ?? 'train';
      if (!subdirs.some((e) => e.name === part))
        throw new Error(`${path}: no '${part}' split (it has ${subdirs.map((e) => e.name).join(', ')})`);
      return { ...(detectDir(join(path, part)) ?? { format: 'image-folder' }), root: join(path, part) };
    }
    return { format: 'image-folder', root: path };
  }
  if (isTar(path)) {
    const first = firstMember(path) ?? '';
    if (/^(\.\/)?cifar-10-batches-(bin|py)(\/|$)/.test(first)) return { format: 'cifar10', root: path };
    if (/^(\.\/)?cifar-100-(binary|python)(\/|$)/.test(first)) return { format: 'cifar100', root: path };
    if (/^(\.\/)?stl10_binary(\/|$)/.test(first))
      throw new Error(
        `${path}: an STL-10 archive is too large to read in place: run \`selfsup data prepare stl10 --from ${path}\``,
      );
    return { format: 'image-archive', root: path };
  }
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTENSIONS.includes(ext))
    throw new Error(`${path}: a single image is not a dataset; give the folder that holds the images`);
  if (['.txt', '.lst', '.list'].includes(ext)) return { format: 'image-list', root: path };
  throw new Error(
    `${path}: cannot tell what dataset this is: expected an image folder, an image list (.txt), a .tar/.tar.gz of images, ` +
      'a CIFAR-10/100 archive or folder, an MNIST/Fashion-MNIST folder of IDX files or an STL-10 folder',
  );
}

function trainOrTest(split: string | undefined, path: string, format: string): 'train' | 'test' {
  const s = split ?? 'train';
  if (s !== 'train' && s !== 'test') throw new Error(`${path}: ${format} has the splits train and test, not '${s}'`);
  return s;
}

/** Opens the dataset at `spec` (a path, or a path with options); errors name the path. */
export async function openDataset(spec: string | OpenSpec): Promise<Dataset> {
  const o: OpenSpec = typeof spec === 'string' ? { path: spec } : spec;
  let ds = openFormat(o);
  if (o.cacheDir !== undefined) {
    if (!(ds instanceof FileDataset))
      throw new Error(`${o.path}: a decoded cache is for image folders and lists; ${ds.describe()} is read without decoding`);
    ds = await CachedDataset.open(ds, o.cacheDir);
  }
  if (o.numSamples !== undefined) {
    if (o.numSamples > ds.length) throw new Error(`${o.path}: ${o.numSamples} samples asked of ${ds.length}`);
    ds = takeSamples(ds, o.numSamples);
  }
  return ds;
}

function openFormat(o: OpenSpec): Dataset {
  const { format, root } = o.format ? { format: o.format, root: o.path } : detectFormat(o.path, o.split);
  const splitless = (what: string) => {
    // A source without splits is all training data; asking it for another split is a mistake.
    if (o.split !== undefined && o.split !== 'train' && root === o.path)
      throw new Error(`${o.path}: ${what} has no '${o.split}' split (no ${o.split}/ sub-folder)`);
  };
  try {
    switch (format) {
      case 'image-folder':
        splitless('an image folder');
        return ImageFolder.openSync(root, { channels: o.channels });
      case 'image-list':
        splitless('an image list');
        return ImageList.openSync(root, { dataPrefix: o.dataPrefix ?? dirname(root), channels: o.channels });
      case 'image-archive':
        splitless('an image archive');
        return ImageArchive.open(root, { channels: o.channels });
      case 'cifar10':
      case 'cifar100':
        return cifarSync(format, trainOrTest(o.split, o.path, format), root);
      case 'mnist':
        return mnist(trainOrTest(o.split, o.path, format), root);
      case 'fashion-mnist':
        return fashionMnist(trainOrTest(o.split, o.path, format), root);
      case 'stl10': {
        const s = o.split ?? 'train';
        if (s !== 'train' && s !== 'test' && s !== 'unlabeled')
          throw new Error(`${o.path}: STL-10 has the splits train, test and unlabeled, not '${s}'`);
        return STL10.open(root, s);
      }
    }
  } catch (e) {
    const m = (e as Error).message;
    // Loader messages name the file at fault; add the path asked for when they do not.
    throw new Error(m.includes(o.path) ? m : `${o.path}: ${m}`);
  }
}
