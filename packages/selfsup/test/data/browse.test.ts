import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import sharp from 'sharp';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { augmentationGrid } from '../../src/data/browse.js';
import { permutation } from '../../src/data/loader/samplers.js';
import { imageToTensor } from '../../src/data/transforms/functional.js';
import { MultiView } from '../../src/data/transforms/multi-view.js';
import { ColorJitter, RandomFlip, RandomResizedCrop } from '../../src/data/transforms/random.js';

test('augmentationGrid: rows of [original, views…] at their pixels, in a grid of equal cells', async () => {
  const n = 10;
  const px = Uint8Array.from({ length: n * 16 * 16 * 3 }, (_, i) => (i * 37 + (i >> 7)) % 256);
  const ds = new ArrayDataset('toy', px, { height: 16, width: 16, channels: 3 }, null);
  const views = new MultiView([[new RandomResizedCrop(16), new RandomFlip(), new ColorJitter({ brightness: 0.5 })]], 2);
  const png = await augmentationGrid(ds, views, { n: 3, seed: 4, scale: 2, gap: 4 });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  // 3 columns and 3 rows of 32-px cells (16 px × 2) with 4-px gaps around them.
  assert.deepEqual([info.width, info.height, info.channels], [3 * 32 + 4 * 4, 3 * 32 + 4 * 4, 3]);
  const cell = (row: number, col: number) => {
    const out: number[] = [];
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const o = ((4 + row * 36 + y) * info.width + 4 + col * 36 + x) * 3;
        out.push(data[o], data[o + 1], data[o + 2]);
      }
    return out;
  };
  /** `(C, H, W)` uint8 → the nearest-neighbour ×2 enlargement as `(H, W, C)` numbers. */
  const enlarged = (t: torch.Tensor) =>
    torch.tidy(() => Array.from(t.repeatInterleave(2, 1).repeatInterleave(2, 2).permute(1, 2, 0).contiguous().toBytes()));
  const picks = permutation(n, 4).slice(0, 3);
  for (const [row, idx] of picks.entries()) {
    const img = imageToTensor(ds.image(idx));
    assert.deepEqual(cell(row, 0), enlarged(img), `row ${row}: the original`);
    const vs = views.apply(img, 4, 0, idx);
    for (const [k, v] of vs.entries()) assert.deepEqual(cell(row, k + 1), enlarged(v), `row ${row}: view ${k}`);
    for (const t of [img, ...vs]) t.dispose();
  }
  await assert.rejects(augmentationGrid(ds, views, { n: 0, seed: 0 }), /n must be a positive integer/);
});
