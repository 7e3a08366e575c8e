/**
 * Image grids as PNG (MMSelfSup's browse_dataset and visualize_reconstruction draw the same kind of
 * figure): rows of tiles, every tile scaled to one common square cell (nearest-neighbour when
 * enlarging by a whole factor, so small images stay crisp), on a white background.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import sharp from 'sharp';

/** One tile: `(H, W, C)` 8-bit bytes. */
export interface Tile {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/**
 * A `(C, H, W)` image as a tile: uint8 as is; float shown as [0, 1], or stretched to its range when
 * outside it (normalised views). `range: [lo, hi]` fixes the float range instead (0–255 images).
 */
export function tileBytes(view: Tensor, range?: [number, number]): Tile {
  return torch.tidy(() => {
    let x = view;
    if (x.isFloatingPoint()) {
      const lo = range ? range[0] : (x.min().item() as number);
      const hi = range ? range[1] : (x.max().item() as number);
      x =
        !range && lo >= 0 && hi <= 1
          ? x.mul(255)
          : x
              .sub(lo)
              .div(Math.max(hi - lo, 1e-12))
              .mul(255);
      x = x.round().clamp({ min: 0, max: 255 }).to('uint8');
    }
    const [c, h, w] = x.shape;
    if (c !== 1 && c !== 3) throw new RangeError(`tileBytes: an image has ${c} channels, expected 1 or 3`);
    return { data: x.permute(1, 2, 0).contiguous().toBytes(), height: h, width: w, channels: c as 1 | 3 };
  });
}

/** A tile fitted into a `cell` square (aspect kept, centred on the background). */
async function fit(t: Tile, cell: number): Promise<Buffer> {
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
 * Rows of tiles as PNG bytes. `largest`: the tile side the cell is made for (default the largest
 * tile's); `scale`: its enlargement (default: the whole factor that brings it closest to 128 px, at
 * least 1); `gap`: pixels between cells (default 4).
 */
export async function imageGrid(rows: Tile[][], o: { scale?: number; gap?: number; largest?: number } = {}): Promise<Buffer> {
  if (rows.length === 0 || rows[0].length === 0) throw new RangeError('imageGrid: no tiles');
  const largest = o.largest ?? Math.max(...rows.flatMap((r) => r.map((t) => Math.max(t.height, t.width))));
  const scale = o.scale ?? Math.max(1, Math.round(128 / largest));
  if (!(scale > 0)) throw new RangeError(`imageGrid: scale must be positive, got ${scale}`);
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
