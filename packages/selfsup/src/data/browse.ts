/**
 * MMSelfSup's `browse_dataset`: a PNG grid showing what the augmentation pipeline does. Each row
 * is one sample: the original image, then each of its views (for epoch 0 of `seed`), every tile
 * scaled to fit one common square cell (nearest-neighbour when enlarging by a whole factor, so
 * small images stay crisp).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import sharp from 'sharp';
import type { Dataset } from './datasets/base.js';
import { permutation } from './loader/samplers.js';
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
}

/** A view as `(H, W, C)` 8-bit bytes; float views are shown as [0, 1], or stretched to their range when normalised. */
function tileBytes(view: Tensor): { data: Uint8Array; height: number; width: number; channels: 1 | 3 } {
  return torch.tidy(() => {
    let x = view;
    if (x.isFloatingPoint()) {
      const lo = x.min().item() as number;
      const hi = x.max().item() as number;
      x =
        lo >= 0 && hi <= 1
          ? x.mul(255)
          : x
              .sub(lo)
              .div(Math.max(hi - lo, 1e-12))
              .mul(255);
      x = x.round().clamp({ min: 0, max: 255 }).to('uint8');
    }
    const [c, h, w] = x.shape;
    if (c !== 1 && c !== 3) throw new RangeError(`augmentationGrid: a view has ${c} channels, expected 1 or 3`);
    return { data: x.permute(1, 2, 0).contiguous().toBytes(), height: h, width: w, channels: c as 1 | 3 };
  });
}

/** A tile fitted into a `cell` square (aspect kept, centred on the background). */
async function fit(t: { data: Uint8Array; height: number; width: number; channels: 1 | 3 }, cell: number): Promise<Buffer> {
  const side = Math.max(t.height, t.width);
  const whole = cell % side === 0 || side % cell === 0;
  return sharp(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), {
    raw: { width: t.width, height: t.height, channels: t.channels },
  })
    .toColourspace(t.channels === 1 ? 'b-w' : 'srgb')
    .resize(cell, cell, {
      fit: 'contain',
      kernel: whole ? 'nearest' : 'lanczos3',
      background: { r: 40, g: 40, b: 40 },
    })
    .removeAlpha()
    .toColourspace('srgb')
    .png()
    .toBuffer();
}

/**
 * The grid as PNG bytes: `n` rows of [original, view 1, …, view V] for samples picked by `seed`.
 * Views come from `views.apply(img, seed, 0, idx)`, exactly what the loader makes in epoch 0.
 */
export async function augmentationGrid(dataset: Dataset, views: MultiView, o: GridOptions): Promise<Buffer> {
  if (!Number.isInteger(o.n) || o.n < 1) throw new RangeError(`augmentationGrid: n must be a positive integer, got ${o.n}`);
  if (dataset.length === 0) throw new RangeError(`augmentationGrid: ${dataset.describe()} is empty`);
  const picks = permutation(dataset.length, o.seed).slice(0, Math.min(o.n, dataset.length));
  const rows: ReturnType<typeof tileBytes>[][] = [];
  for (const idx of picks) {
    const s = await dataset.get(idx);
    rows.push(
      torch.tidy(() => {
        const img = imageToTensor(s.img);
        return [tileBytes(img), ...views.apply(img, o.seed, 0, idx).map(tileBytes)];
      }),
    );
  }
  const largest = Math.max(...rows.flatMap((r) => r.slice(1).map((t) => Math.max(t.height, t.width))));
  const scale = o.scale ?? Math.max(1, Math.round(128 / largest));
  if (!(scale > 0)) throw new RangeError(`augmentationGrid: scale must be positive, got ${scale}`);
  const cell = Math.max(1, Math.round(largest * scale));
  const gap = o.gap ?? 4;
  const cols = rows[0].length;
  const width = cols * cell + (cols + 1) * gap;
  const height = rows.length * cell + (rows.length + 1) * gap;
  const tiles = await Promise.all(
    rows.flatMap((r, i) =>
      r.map(async (t, j) => ({ input: await fit(t, cell), top: gap + i * (cell + gap), left: gap + j * (cell + gap) })),
    ),
  );
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(tiles)
    .removeAlpha()
    .png()
    .toBuffer();
}
