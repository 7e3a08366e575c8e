/**
 * Where each sample of a dataset comes from, for exports that must be joined back to the images
 * (`selfsup extract`): an image file's path as the dataset holds it (image folders and lists), an
 * archive member as `<archive>/<member>`, and `#<index>` for formats whose images are arrays in
 * one file (CIFAR, MNIST, STL-10: the index within that split). Subsets and decoded caches answer
 * for the samples of the dataset they wrap.
 */
import type { Dataset } from './datasets/base.js';
import { CachedDataset } from './datasets/cache.js';
import { FileDataset } from './datasets/file-dataset.js';
import { ImageArchive } from './datasets/image-archive.js';
import { Subset } from './datasets/subset.js';

/** The source of sample `idx` of `ds` (see the module docs). */
export function samplePath(ds: Dataset, idx: number): string {
  if (ds instanceof Subset) return samplePath(ds.dataset, ds.indices[idx]);
  if (ds instanceof CachedDataset) return samplePath(ds.source, idx);
  if (ds instanceof FileDataset) return ds.files[idx];
  if (ds instanceof ImageArchive) return `${ds.path}/${ds.members[idx].name}`;
  return `#${idx}`;
}

/** `samplePath` of every sample, in dataset order. */
export function samplePaths(ds: Dataset): string[] {
  return Array.from({ length: ds.length }, (_, i) => samplePath(ds, i));
}
