/**
 * MMSelfSup's `browse_dataset`: a PNG grid showing what the augmentation pipeline does. Each row
 * is one sample: the original image, then each of its views (for epoch 0 of `seed`), every tile
 * scaled to fit one common square cell (nearest-neighbour when enlarging by a whole factor, so
 * small images stay crisp).
 */
import * as torch from '@selfsup/torch';
import { imageGrid, type Tile, tileBytes } from '../core/image-grid.js';
import type { Dataset } from './datasets/base.js';
import { type CorruptPolicy, pickSamples } from './pick-samples.js';
import { imageToTensor } from './transforms/functional.js';
import type { MultiView } from './transforms/multi-view.js';

export interface GridOptions {
  /** Samples (rows), drawn at random from the dataset. */
  n: number;
  /** Picks the samples and seeds their augmentations. */
  seed: number;
  /** Enlargement of the largest view; default: the whole factor that brings it closest to 128 px (at least 1). */
  scale?: number;
  /** Pixels between cells. */
  gap?: number;
  /** The data loader's policy for images that do not decode: `'skip'` draws the next sample instead. */
  onCorrupt?: CorruptPolicy;
}

/**
 * The grid as PNG bytes: `n` rows of [original, view 1, …, view V] for samples picked by `seed`.
 * Views come from `views.apply(img, seed, 0, idx)`, exactly what the loader makes in epoch 0.
 */
export async function augmentationGrid(dataset: Dataset, views: MultiView, o: GridOptions): Promise<Buffer> {
  if (!Number.isInteger(o.n) || o.n < 1) throw new RangeError(`augmentationGrid: n must be a positive integer, got ${o.n}`);
  if (dataset.length === 0) throw new RangeError(`augmentationGrid: ${dataset.describe()} is empty`);
  const rows: Tile[][] = [];
  for (const { idx, sample: s } of await pickSamples(dataset, o.n, o.seed, o.onCorrupt)) {
    rows.push(
      torch.tidy(() => {
        const img = imageToTensor(s.img);
        return [tileBytes(img), ...views.apply(img, o.seed, 0, idx).map((v) => tileBytes(v))];
      }),
    );
  }
  // The views set the cell size; originals of any size are fitted into it.
  const largest = Math.max(...rows.flatMap((r) => r.slice(1).map((t) => Math.max(t.height, t.width))));
  return imageGrid(rows, { scale: o.scale, gap: o.gap, largest });
}
