/**
 * `selfsup train <config> --data DIR [--size N]`: the config's training dataset replaced by an
 * image folder (class sub-folders or a flat folder, as torchvision's ImageFolder), keeping the
 * config's pipeline, as lightly-train's `data=`. `--size N` sets the output size of every crop
 * and resize step of that pipeline (RandomResizedCrop, Resize, CenterCrop, RandomCrop, BEiT's
 * two-picture crop's first size), nothing else: a backbone with a fixed input size (a ViT's
 * `imgSize`) or a mask generator's `inputSize` is set with `--cfg-options`. The replacement is
 * made before `--cfg-options`, which can then set the folder dataset's options
 * (`trainDataloader.dataset.valSplit…`).
 */
import { resolve } from 'node:path';
import type { Config } from '../engine/config/config.js';
import { type ConfigObject, isPlainObject } from '../engine/config/merge.js';
import { DATASETS } from '../data/registries.js';
import { UsageError } from './args.js';

/** Pipeline steps whose `size` is the image size they output. */
const SIZED_STEPS = new Set([
  'RandomResizedCrop',
  'Resize',
  'CenterCrop',
  'RandomCrop',
  'RandomResizedCropAndInterpolationWithTwoPic',
]);

/** A copy of `pipeline` (any nesting of lists, MultiView, RandomApply) with every sized step at `size`; `count` of them. */
export function resizePipeline(pipeline: unknown, size: number): { pipeline: unknown; count: number } {
  let count = 0;
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== 'object') return v;
    const o = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, visit(e)]));
    if (typeof o.type === 'string' && SIZED_STEPS.has(o.type) && 'size' in o) {
      o.size = size;
      count++;
    }
    return o;
  };
  return { pipeline: visit(pipeline), count };
}

/**
 * Replaces `raw.trainDataloader.dataset` (a loaded config, in place) by an ImageFolder of
 * `folder` with the old dataset's pipeline, resized to `size` when given; returns what else it
 * changed, for the log.
 */
export function useImageFolder(raw: ConfigObject, folder: string, size?: number): string[] {
  const dl = raw.trainDataloader;
  const old = isPlainObject(dl) && isPlainObject(dl.dataset) ? dl.dataset : null;
  if (!isPlainObject(dl) || !old) throw new UsageError('--data: the config has no trainDataloader.dataset to replace');
  const model = isPlainObject(raw.model) ? raw.model : {};
  // A 1-channel recipe (MNIST-like) reads the images as grayscale; every other one as RGB.
  const gray = isPlainObject(model.backbone) && model.backbone.inChannels === 1;
  const dataset: ConfigObject = { type: 'ImageFolder', root: resolve(folder), ...(gray ? { channels: 1 } : {}) };
  const notes: string[] = [];
  if (old.pipeline !== undefined) {
    dataset.pipeline = old.pipeline;
    if (size !== undefined) {
      const r = resizePipeline(old.pipeline, size);
      if (r.count === 0)
        throw new UsageError(
          `--size: the config's pipeline has no crop or resize step (${[...SIZED_STEPS].join(', ')}) to set to ${size}`,
        );
      dataset.pipeline = r.pipeline as ConfigObject;
      notes.push(`${r.count} crop/resize step${r.count > 1 ? 's' : ''} of the pipeline set to ${size} px`);
    }
  } else if (size !== undefined) {
    throw new UsageError('--size: the config has no pipeline to resize');
  }
  dl.dataset = dataset;
  if (isPlainObject(raw.knnMonitor)) {
    // The monitor evaluates on the labelled sets the config was written for, which --data replaces.
    raw.knnMonitor = null;
    notes.push('the kNN monitor is off (it reads the dataset the config was written for)');
  }
  return notes;
}

/** Checks the folder (after `--cfg-options`): it opens, has images, and makes at least one batch. */
export function checkImageFolder(cfg: Config, folder: string): { images: number; classes: number } {
  const { pipeline: _p, ...ds } = cfg.trainDataloader.dataset;
  let probe: ReturnType<typeof DATASETS.build>;
  try {
    probe = DATASETS.build(ds, '--data');
  } catch (e) {
    throw new UsageError(`--data ${folder}: ${(e as Error).message}`);
  }
  if (probe.length === 0) throw new UsageError(`--data ${folder}: no images found`);
  const batch = cfg.trainDataloader.batchSize;
  if (probe.length < batch && cfg.trainDataloader.dropLast !== false)
    throw new UsageError(
      `--data ${folder}: ${probe.length} images make no batch of ${batch} (the config's batch size); ` +
        'lower it with --cfg-options trainDataloader.batchSize=N',
    );
  return { images: probe.length, classes: probe.classes?.length ?? 0 };
}
