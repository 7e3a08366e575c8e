/**
 * MMSelfSup's `visualize_reconstruction` (tools/analysis_tools): for each image, four tiles —
 * the original, what the model saw (removed patches grey), its reconstruction, and the
 * reconstruction with the visible patches pasted back — as one PNG grid.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { imageGrid, type Tile, tileBytes } from '../core/image-grid.js';
import type { Dataset } from '../data/datasets/base.js';
import { type CorruptPolicy, pickSamples } from '../data/pick-samples.js';
import { imageToTensor } from '../data/transforms/functional.js';
import { CenterCrop, Resize } from '../data/transforms/random.js';
import { Rng } from '../data/transforms/rng.js';
import type { MaskGenerator } from '../data/transforms/steps.js';
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

/**
 * `num` images of `dataset` picked by `seed`, resized (shorter side) and centre-cropped to the
 * model's `reconstructionSize` (grey ones repeated to RGB), with a mask each from `maskGenerator`
 * when given (the training pipeline's, drawn from the sample's stream), reconstructed with the
 * default generator seeded by `seed`: the grid's PNG, how many images and the masked fraction.
 * `onCorrupt: 'skip'` passes over images that do not decode (with a warning), as training does.
 */
export async function datasetReconstructionGrid(
  model: Reconstructor,
  dataset: Dataset,
  o: { num?: number; seed?: number; maskGenerator?: MaskGenerator | null; onCorrupt?: CorruptPolicy } = {},
): Promise<{ png: Buffer; images: number; maskedFraction: number }> {
  if (dataset.length === 0) throw new RangeError(`reconstruction: ${dataset.describe()} holds no images`);
  const seed = o.seed ?? 0;
  const picks = await pickSamples(dataset, o.num ?? 8, seed, o.onCorrupt);
  const [h, w] = model.reconstructionSize;
  const resize = new Resize(Math.max(h, w));
  const crop = new CenterCrop([h, w]);
  const imgs: Tensor[] = [];
  const masks: Tensor[] = [];
  try {
    for (const { idx, sample: s } of picks) {
      imgs.push(
        torch.keep(
          torch.tidy(() => {
            const x = crop.apply(resize.apply(imageToTensor(s.img)));
            return x.shape[0] === 1 ? x.expand(3, -1, -1).contiguous() : x;
          }),
        ),
      );
      if (o.maskGenerator) {
        const m = o.maskGenerator.generate(Rng.forSample(seed, 0, idx));
        masks.push(torch.keep(torch.tensor(m.data, { shape: [m.height, m.width] }).to({ dtype: 'bool' })));
      }
    }
    const batch = torch.keep(torch.stack(imgs));
    const maskBatch = masks.length ? torch.keep(torch.stack(masks)) : undefined;
    try {
      torch.manualSeed(seed);
      const { png, maskedFraction } = await reconstructionGrid(model, batch, { masks: maskBatch });
      return { png, images: picks.length, maskedFraction };
    } finally {
      batch.dispose();
      maskBatch?.dispose();
    }
  } finally {
    for (const t of [...imgs, ...masks]) t.dispose();
  }
}
