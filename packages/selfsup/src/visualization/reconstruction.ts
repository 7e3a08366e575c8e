/**
 * MMSelfSup's `visualize_reconstruction` (tools/analysis_tools): for each image, four tiles —
 * the original, what the model saw (removed patches grey), its reconstruction, and the
 * reconstruction with the visible patches pasted back — as one PNG grid.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { imageGrid, type Tile, tileBytes } from '../core/image-grid.js';
import type { Reconstruction, Reconstructor } from '../models/algorithms/reconstruction.js';

/** The column titles of `reconstructionGrid`, in order. */
export const RECONSTRUCTION_COLUMNS = ['original', 'masked', 'reconstruction', 'reconstruction + visible'] as const;

/** The four `(N, C, H, W)` 0–255 panels of a reconstruction. */
export function reconstructionPanels(r: Reconstruction): Tensor[] {
  return torch.tidy(() => {
    const keep = r.mask.rsub(1);
    const grey = r.mask.mul(127.5);
    const rec = r.reconstruction.clamp({ min: 0, max: 255 });
    return [r.original, r.original.mul(keep).add(grey), rec, r.original.mul(keep).add(rec.mul(r.mask))];
  });
}

/**
 * Reconstructs `(N, C, H, W)` images (at the model's `reconstructionSize`; `masks` `(N, h, w)` for
 * algorithms that take them) and draws the grid: PNG bytes and the fraction of pixels masked.
 */
export async function reconstructionGrid(
  model: Reconstructor,
  images: Tensor,
  o: { masks?: Tensor; scale?: number; gap?: number } = {},
): Promise<{ png: Buffer; maskedFraction: number }> {
  const { rows, maskedFraction } = torch.tidy(() => {
    const r = model.reconstruct(images, o.masks);
    const panels = reconstructionPanels(r);
    const tiles: Tile[][] = [];
    for (let i = 0; i < images.shape[0]; i++) tiles.push(panels.map((p) => tileBytes(p.select(0, i), [0, 255])));
    return { rows: tiles, maskedFraction: r.mask.mean().item() as number };
  });
  return { png: await imageGrid(rows, { scale: o.scale, gap: o.gap }), maskedFraction };
}
