/**
 * `selfsup vis recon`: masks and reconstructs a few images with a masked-image-modelling model and
 * writes original / masked / reconstruction / reconstruction + visible as a PNG grid (MMSelfSup's
 * tools/analysis_tools/visualize_reconstruction.py).
 */
import { writeFileSync } from 'node:fs';
import { pipelineMaskGenerator } from '../engine/build-data.js';
import { loadModel, type ModelSource } from '../engine/model-source.js';
import { openDataset } from '../data/open.js';
import { isReconstructor } from '../models/algorithms/reconstruction.js';
import { datasetReconstructionGrid } from '../visualization/reconstruction.js';

export interface ReconOptions {
  model: ModelSource;
  /** Images: any dataset path `openDataset` reads (folder, list, archive, CIFAR, …). */
  images: string;
  split?: string;
  /** How many images (rows); default 8. */
  num?: number;
  /** Picks the images and seeds the masks. Default 0. */
  seed?: number;
  /** Images that do not decode; default: the model config's `trainDataloader.onCorrupt`. */
  onCorrupt?: 'error' | 'skip';
  out: string;
}

/** Runs `vis recon`; returns what it wrote. */
export async function visRecon(o: ReconOptions): Promise<{ out: string; images: number; maskedFraction: number }> {
  const { model, cfg, describe } = loadModel(o.model);
  try {
    if (!isReconstructor(model))
      throw new Error(`vis recon: ${describe} cannot reconstruct images (a masked-image-modelling model can: MAE, SimMIM, …)`);
    const dataset = await openDataset({ path: o.images, split: o.split });
    const r = await datasetReconstructionGrid(model, dataset, {
      num: o.num,
      seed: o.seed,
      maskGenerator: pipelineMaskGenerator(cfg),
      // Unless told, the model's config decides, as it did for training, whether an undecodable image is fatal.
      onCorrupt: o.onCorrupt ?? cfg.trainDataloader.onCorrupt,
    });
    writeFileSync(o.out, r.png);
    return { out: o.out, images: r.images, maskedFraction: r.maskedFraction };
  } finally {
    model.dispose();
  }
}
