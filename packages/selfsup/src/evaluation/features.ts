/**
 * Frozen-feature extraction for the representation benchmarks: weighted kNN (Wu et al. 2018,
 * "Unsupervised Feature Learning via Non-Parametric Instance Discrimination"; Caron et al. 2021,
 * DINO), linear probing (Zhang et al. 2016; Goyal et al. 2019, "Scaling and Benchmarking
 * Self-Supervised Visual Representation Learning") and t-SNE/UMAP plots. An *encoder* turns a
 * batch of uint8 images `(N, C, H, W)` into features `(N, D)`; `extractFeatures` runs it over a
 * loader in inference mode and gathers one `(N, D)` float32 matrix and its `(N)` int64 labels.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { DataLoader } from '../data/loader/loader.js';
import type { Backbone } from '../models/backbones/base.js';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../core/images.js';
import { type PoolMode, poolFeatures } from './preprocess.js';

/** Images `(N, C, H, W)` (uint8, as the loader makes them) → features `(N, D)`. */
export type Encoder = (images: Tensor) => Tensor;

/** Features and their labels, row-aligned. */
export interface LabelledFeatures {
  /** `(N, D)` float32. */
  features: Tensor;
  /** `(N)` int64 class indices (−1 for samples of an unlabelled dataset). */
  labels: Tensor;
}

/** `extractFeatures`' result: also the dataset index of every row. */
export interface ExtractedFeatures extends LabelledFeatures {
  /** `(N)` int64 dataset indices, in row order. */
  indices: Tensor;
}

/** Progress of an extraction, after each batch. */
export interface ExtractProgress {
  /** Images encoded so far. */
  done: number;
  /** Images the loader will yield in total. */
  total: number;
  batches: number;
}

export interface ExtractOptions {
  onProgress?: (p: ExtractProgress) => void;
}

/**
 * Runs `encode` on the first view of every batch of `loader` in inference mode and writes the
 * outputs into one preallocated result: `features (N, D)` float32, `labels (N)` int64 (−1 where
 * the dataset is unlabelled) and `indices (N)` int64, on the encoder's output device. Each batch's
 * tensors are freed as soon as its rows are copied, so memory grows only by the `(N, D)` result.
 * The results are ordinary tensors (not inference tensors), usable in autograd code.
 */
export async function extractFeatures(
  encode: Encoder,
  loader: DataLoader,
  opts: ExtractOptions = {},
): Promise<ExtractedFeatures> {
  const total = loader.o.dropLast
    ? Math.floor(loader.sampler.length / loader.o.batchSize) * loader.o.batchSize
    : loader.sampler.length;
  // Assigned inside the per-batch closure; the cast keeps TypeScript from narrowing it to null.
  let out = null as ExtractedFeatures | null;
  let done = 0;
  let batches = 0;
  try {
    for await (const batch of loader) {
      try {
        torch.tidy(() => {
          const f = torch.inferenceMode(() => encode(batch.views[0]));
          const b = batch.idx.shape[0];
          if (f.dim() !== 2 || f.shape[0] !== b)
            throw new RangeError(`extractFeatures: the encoder returned shape [${f.shape}] for ${b} images; expected (N, D)`);
          if (done + b > total) throw new RangeError(`extractFeatures: the loader yielded more than its ${total} samples`);
          const device = f.device;
          // Allocated outside inference mode, so the result is an ordinary tensor.
          out ??= torch.keep({
            features: torch.empty([total, f.shape[1]], { device }),
            labels: torch.full([total], -1, { dtype: 'int64', device }),
            indices: torch.full([total], -1, { dtype: 'int64', device }),
          });
          const o = out;
          torch.noGrad(() => {
            o.features.narrow(0, done, b).copy_(f);
            if (batch.labels) o.labels.narrow(0, done, b).copy_(batch.labels);
            o.indices.narrow(0, done, b).copy_(batch.idx);
          });
          done += b;
        });
        batches++;
      } finally {
        batch.dispose();
      }
      opts.onProgress?.({ done, total, batches });
    }
  } catch (e) {
    if (out) for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  const res: ExtractedFeatures | null = out;
  if (!res) throw new RangeError(`extractFeatures: the loader over ${loader.dataset.describe()} yielded nothing`);
  if (done === total) return res;
  // Fewer rows than planned (undecodable images skipped): keep only the rows written.
  const trimmed = torch.tidy(() => ({
    features: res.features.narrow(0, 0, done).clone(),
    labels: res.labels.narrow(0, 0, done).clone(),
    indices: res.indices.narrow(0, 0, done).clone(),
  }));
  for (const t of Object.values(res)) t.dispose();
  return trimmed;
}

/** Options of `backboneEncoder`. */
export interface BackboneEncoderOptions extends ImageNormalization {
  /** Index into `forward()`'s outputs (the backbone's `outIndices`); default the last one. */
  stage?: number;
  /** Pooling of the stage output (default: average for maps, class token for ViT tokens). */
  pool?: PoolMode;
  /**
   * The backbone outputs of normalised images, when the model feeds its backbone something else
   * (DeepCluster's Sobel layer: an algorithm's `extractFeat`); default `backbone.forward`.
   */
  features?: (x: Tensor) => Tensor[];
}

/** The device of a module's first parameter (cpu for a parameter-free module). */
export function moduleDevice(m: torch.nn.AnyModule): torch.Device {
  const p = m.parameters()[0];
  return p ? p.device : 'cpu';
}

/**
 * An encoder from a backbone: normalise (grey → RGB when mean/std have 3 entries), run the
 * backbone in eval mode (its train/eval state is restored afterwards), take output `stage` and pool
 * it to `(N, D)`. Images are moved to the backbone's device.
 */
export function backboneEncoder(backbone: Backbone, opts: BackboneEncoderOptions): Encoder {
  checkNormalization(opts, 'backboneEncoder');
  const prefix = (backbone as { numPrefixTokens?: number }).numPrefixTokens ?? 0;
  return (images) =>
    torch.tidy(() => {
      const wasTraining = backbone.training;
      if (wasTraining) backbone.eval();
      try {
        const x = normalizeImages(images.to(moduleDevice(backbone)), opts);
        const outs = opts.features ? opts.features(x) : backbone.forward(x);
        const s = opts.stage ?? outs.length - 1;
        const r = s < 0 ? outs.length + s : s;
        if (!(r >= 0 && r < outs.length))
          throw new RangeError(`backboneEncoder: stage ${s} out of range for ${outs.length} backbone outputs`);
        return poolFeatures(outs[r], opts.pool, prefix);
      } finally {
        if (wasTraining) backbone.train();
      }
    });
}

/**
 * The raw-pixel baseline: normalised pixels flattened to `(N, C·H·W)` (grey → RGB when mean/std
 * have 3 entries), the floor every learned representation should beat.
 */
export function pixelEncoder(opts: ImageNormalization): Encoder {
  checkNormalization(opts, 'pixelEncoder');
  return (images) => torch.tidy(() => normalizeImages(images, opts).flatten(1));
}
