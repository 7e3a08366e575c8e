/**
 * A test set for labelled data that has none (an image folder without `test/`, an image list): a
 * seeded, class-balanced hold-out of the training data (scikit-learn's `train_test_split(…,
 * stratify=labels)` in spirit). Each class c of n_c images gives `round(fraction × n_c)` of them to
 * the test part, at least 1 and at most n_c − 1 (a class keeps an image on each side); a class of
 * one image stays in training. The two parts are disjoint, cover the dataset, and depend only on
 * the labels, the fraction and the seed.
 */
import type { Dataset } from './datasets/base.js';
import { Subset } from './datasets/subset.js';
import { permutation } from './loader/samplers.js';
import { detectFormat } from './open.js';

/** How many of a class's `n` images the hold-out takes (see the module docs). */
export function holdoutCount(n: number, fraction: number): number {
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
}

/** Splits `ds` into `train` and `test` subsets (each in dataset order); `fraction` in (0, 1). */
export function classBalancedHoldout(ds: Dataset, fraction: number, seed = 0): { train: Subset; test: Subset } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`classBalancedHoldout: fraction must be in (0, 1), got ${fraction}`);
  const labels = ds.labels;
  if (!labels) throw new Error(`classBalancedHoldout: ${ds.describe()} is unlabelled; a class-balanced hold-out needs labels`);
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const quota = new Map<number, number>();
  for (const [c, n] of counts) quota.set(c, holdoutCount(n, fraction));
  const inTest = new Uint8Array(ds.length);
  for (const i of permutation(ds.length, seed)) {
    const q = quota.get(labels[i]) ?? 0;
    if (q > 0) {
      quota.set(labels[i], q - 1);
      inTest[i] = 1;
    }
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ds.length; i++) (inTest[i] ? test : train).push(i);
  return { train: new Subset(ds, train), test: new Subset(ds, test) };
}

/**
 * Whether the data at `path` has the split `split` (a `test/` sub-folder, CIFAR's test batch, …),
 * without reading it: image folders, lists and archives have only the split sub-folders they hold.
 */
export function hasSplit(path: string, split: string): boolean {
  let found: ReturnType<typeof detectFormat>;
  try {
    found = detectFormat(path, split);
  } catch (e) {
    if (/: no '.*' split/.test((e as Error).message)) return false;
    throw e;
  }
  switch (found.format) {
    case 'image-folder':
    case 'image-list':
    case 'image-archive':
      // A folder of split sub-folders opens the sub-folder; anything else is training data only.
      return found.root !== path || split === 'train';
    case 'stl10':
      return ['train', 'test', 'unlabeled'].includes(split);
    default:
      return split === 'train' || split === 'test';
  }
}
