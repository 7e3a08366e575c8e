/**
 * `selfsup vis recon`: masks and reconstructs a few images with a masked-image-modelling model and
 * writes original / masked / reconstruction / reconstruction + visible as a PNG grid (MMSelfSup's
 * tools/analysis_tools/visualize_reconstruction.py).
 */
import { writeFileSync } from 'node:fs';
import * as torch from '@selfsup/torch';
import type { Config } from '../engine/config/config.js';
import { loadModel, type ModelSource } from '../engine/model-source.js';
import { openDataset } from '../data/open.js';
import { PIPELINE_STEPS } from '../data/registries.js';
import { permutation } from '../data/loader/samplers.js';
import { imageToTensor } from '../data/transforms/functional.js';
import { CenterCrop, Resize } from '../data/transforms/random.js';
import { Rng } from '../data/transforms/rng.js';
import { isMaskGenerator, type MaskGenerator } from '../data/transforms/steps.js';
import { isReconstructor } from '../models/algorithms/reconstruction.js';
import { reconstructionGrid } from '../visualization/reconstruction.js';

export interface ReconOptions {
  model: ModelSource;
  /** Images: any dataset path `openDataset` reads (folder, list, archive, CIFAR, …). */
  images: string;
  split?: string;
  /** How many images (rows); default 8. */
  num?: number;
  /** Picks the images and seeds the masks. Default 0. */
  seed?: number;
  out: string;
}

/** The mask generator of a config's training pipeline (SimMIM's, BEiT's), if it has one. */
export function pipelineMaskGenerator(cfg: Config): MaskGenerator | null {
  const found: MaskGenerator[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      const type = (v as { type?: unknown }).type;
      if (typeof type === 'string' && PIPELINE_STEPS.get(type)) {
        const step = PIPELINE_STEPS.build(v, 'trainDataloader.dataset.pipeline');
        if (isMaskGenerator(step)) found.push(step);
      } else for (const x of Object.values(v)) visit(x);
    }
  };
  visit(cfg.trainDataloader.dataset.pipeline);
  return found[0] ?? null;
}

/** Runs `vis recon`; returns what it wrote. */
export async function visRecon(o: ReconOptions): Promise<{ out: string; images: number; maskedFraction: number }> {
  const { model, cfg, describe } = loadModel(o.model);
  try {
    if (!isReconstructor(model))
      throw new Error(`vis recon: ${describe} cannot reconstruct images (a masked-image-modelling model can: MAE, SimMIM, …)`);
    const dataset = await openDataset({ path: o.images, split: o.split });
    if (dataset.length === 0) throw new Error(`vis recon: ${o.images} holds no images`);
    const seed = o.seed ?? 0;
    const picks = permutation(dataset.length, seed).slice(0, Math.min(o.num ?? 8, dataset.length));
    const [h, w] = model.reconstructionSize;
    const resize = new Resize(Math.max(h, w));
    const crop = new CenterCrop([h, w]);
    const generator = pipelineMaskGenerator(cfg);
    const imgs: torch.Tensor[] = [];
    const masks: torch.Tensor[] = [];
    try {
      for (const idx of picks) {
        const s = await dataset.get(idx);
        imgs.push(
          torch.keep(
            torch.tidy(() => {
              const x = crop.apply(resize.apply(imageToTensor(s.img)));
              return x.shape[0] === 1 ? x.expand(3, -1, -1).contiguous() : x; // grey among colour images
            }),
          ),
        );
        if (generator) {
          const m = generator.generate(Rng.forSample(seed, 0, idx));
          masks.push(torch.keep(torch.tensor(m.data, { shape: [m.height, m.width] }).to({ dtype: 'bool' })));
        }
      }
      const batch = torch.keep(torch.stack(imgs));
      const maskBatch = masks.length ? torch.keep(torch.stack(masks)) : undefined;
      torch.manualSeed(seed);
      const { png, maskedFraction } = await reconstructionGrid(model, batch, { masks: maskBatch });
      batch.dispose();
      maskBatch?.dispose();
      writeFileSync(o.out, png);
      return { out: o.out, images: picks.length, maskedFraction };
    } finally {
      for (const t of [...imgs, ...masks]) t.dispose();
    }
  } finally {
    model.dispose();
  }
}
