/**
 * In-memory datasets that loader workers share instead of rebuilding: an ArrayDataset (CIFAR,
 * MNIST, …) or a Subset of one crosses to a worker thread as its SharedArrayBuffer block, so N
 * workers add no copy of the images (PyTorch's forked workers share the parent's arrays the same
 * way, copy-on-write). Other datasets are rebuilt from their config in each worker.
 */
import { ArrayDataset, type ArraySource } from '../datasets/array-dataset.js';
import type { Dataset } from '../datasets/base.js';
import { Subset } from '../datasets/subset.js';

export type SharedDatasetSource = ArraySource | { kind: 'subset'; of: ArraySource; indices: number[] };

/** The shared form of `ds`, or null when workers must rebuild it from config. */
export function sharedSource(ds: Dataset): SharedDatasetSource | null {
  if (ds instanceof ArrayDataset) return ds.source();
  if (ds instanceof Subset && ds.dataset instanceof ArrayDataset)
    return { kind: 'subset', of: ds.dataset.source(), indices: ds.indices };
  return null;
}

/** The dataset a worker builds from a shared source (on the same memory). */
export function fromSharedSource(s: SharedDatasetSource): Dataset {
  return s.kind === 'array' ? ArrayDataset.fromSource(s) : new Subset(ArrayDataset.fromSource(s.of), s.indices);
}

/** Whether a worker's dataset source is a shared one (an object with `kind`). */
export function isSharedSource(s: unknown): s is SharedDatasetSource {
  return typeof s === 'object' && s !== null && 'kind' in s && (s.kind === 'array' || s.kind === 'subset');
}
