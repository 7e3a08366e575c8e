/**
 * Index tables of a learned relative position bias (Shaw et al. 2018, "Self-Attention with
 * Relative Position Representations"), as Swin, BEiT and HiViT lay them out: the bias table has one
 * row per 2-D offset, `(2h − 1)·(2w − 1)` of them, and the index says which row each
 * (query, key) pair of an `h × w` grid (row-major) reads.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** Row of the offset (query − key) of grid positions i and j: (Δrow + h − 1)·(2w − 1) + (Δcol + w − 1). */
function gridIndex(h: number, w: number): BigInt64Array {
  const l = h * w;
  const index = new BigInt64Array(l * l);
  for (let i = 0; i < l; i++) {
    for (let j = 0; j < l; j++) {
      const dr = Math.floor(i / w) - Math.floor(j / w) + h - 1;
      const dc = (i % w) - (j % w) + w - 1;
      index[i * l + j] = BigInt(dr * (2 * w - 1) + dc);
    }
  }
  return index;
}

/** The `(h·w, h·w)` int64 index of an `h × w` window or grid (Swin's, HiViT's `relative_position_index`). */
export function gridRelativePositionIndex(h: number, w = h): Tensor {
  return torch.tensor(gridIndex(h, w), { shape: [h * w, h * w] });
}

/**
 * BEiT's `(1 + L, 1 + L)` index (L = h·w) with a class token first: patch pairs as
 * `gridRelativePositionIndex`; the class token's row, column and corner read the table's last three
 * rows (class → patch, patch → class, class → class).
 */
export function clsRelativePositionIndex(h: number, w: number): Tensor {
  const l = h * w;
  const n = BigInt((2 * h - 1) * (2 * w - 1));
  const grid = gridIndex(h, w);
  const index = new BigInt64Array((l + 1) * (l + 1));
  for (let i = 0; i < l; i++) index.set(grid.subarray(i * l, (i + 1) * l), (i + 1) * (l + 1) + 1);
  for (let j = 1; j <= l; j++) {
    index[j] = n;
    index[j * (l + 1)] = n + 1n;
  }
  index[0] = n + 2n;
  return torch.tensor(index, { shape: [l + 1, l + 1] });
}
