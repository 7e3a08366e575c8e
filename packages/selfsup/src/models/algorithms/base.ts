/**
 * The algorithm interface (MMSelfSup's `BaseModel` + `SelfSupDataPreprocessor`): an algorithm owns
 * its backbone, neck, head and any target network, queue or memory bank, and turns a batch of
 * views into a loss. The runner drives it; it never imports the runner. Images are `(N, C, H, W)`.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../../evaluation/preprocess.js';
import { Registry } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';

/** A training batch as the algorithm sees it. */
export interface AlgorithmInput {
  /** One `(N, C, H, W)` uint8 (or float) tensor per view, as the loader makes them. */
  views: Tensor[];
  /** `(N)` int64 labels when known (unused by SSL losses; kept for logging/monitors). */
  labels?: Tensor | null;
  /** `(N)` int64 dataset indices (memory banks, clustering). */
  idx?: Tensor;
  /** Per-view masks for masked image modelling (`(N, h, w)` bool), when the pipeline makes them. */
  masks?: Tensor[];
}

/** Where training is: what schedules inside an algorithm (momentum, temperature warm-up) read. */
export interface TrainProgress {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based global iteration (counted across epochs). */
  iter: number;
  maxEpochs: number;
  maxIters: number;
}

/** The loss and the scalar terms to log (`{ loss, logs: { loss_contrastive: 4.1 } }`). */
export interface LossOutput {
  /** The scalar to minimise (a 0-d tensor with grad). */
  loss: Tensor;
  /** Extra scalars to log (already detached numbers). */
  logs: Record<string, number>;
}

/** MMSelfSup's `SelfSupDataPreprocessor`: per-channel mean/std in 0–255 units, RGB. */
export interface DataPreprocessorOptions {
  mean?: number[];
  std?: number[];
}

/** ImageNet statistics in 0–255 units (MMSelfSup's defaults). */
export const IMAGENET_MEAN = [123.675, 116.28, 103.53];
export const IMAGENET_STD = [58.395, 57.12, 57.375];

export abstract class Algorithm extends nn.Module<[AlgorithmInput, TrainProgress?], LossOutput> {
  abstract readonly backbone: Backbone;
  /** The per-channel statistics images are normalised with (evaluation encodes with them too). */
  readonly normalization: ImageNormalization;

  constructor(pre: DataPreprocessorOptions = {}) {
    super();
    this.normalization = { mean: pre.mean ?? IMAGENET_MEAN, std: pre.std ?? IMAGENET_STD };
    checkNormalization(this.normalization, 'dataPreprocessor');
  }

  /** uint8 or float `(N, C, H, W)` → float32 `(x − mean) / std` per channel (grey repeated to RGB for 3-channel stats). */
  preprocess(x: Tensor): Tensor {
    return normalizeImages(x, this.normalization);
  }

  /** The training loss of one batch (views as the loader makes them). */
  abstract loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput;

  /** The loss (what DistributedDataParallel and the runner call). */
  override forward(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    return this.loss(batch, progress);
  }

  /** Backbone features of preprocessed images for evaluation: the backbone's `outIndices` outputs. */
  extractFeat(images: Tensor): Tensor[] {
    return this.backbone.forward(images);
  }

  /**
   * Tensors outside the module's state dict that a resumed run needs (queues are buffers and so
   * already in the state dict; this is for plain numbers such as a DINO centre's warm-up step).
   */
  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(_state: Record<string, number>): void {}
}

/** Algorithms (SimCLR, MoCo, BYOL, …): `model` in a config. */
export const ALGORITHMS = new Registry<Algorithm>('algorithms');
