/**
 * What masked-image-modelling algorithms show of themselves: the images they were given, the mask
 * they drew and what they reconstructed (MMSelfSup's `reconstruct` and
 * `tools/analysis_tools/visualize_reconstruction.py`). `selfsup vis recon` and the run report draw it.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { ImageNormalization } from '../../core/images.js';

/** One batch's reconstruction, all `(N, C, H, W)` float in the 0–255 units of the input images. */
export interface Reconstruction {
  /** The input as the model saw it (after preprocessing, mapped back to 0–255). */
  original: Tensor;
  /** The model's prediction of every pixel (visible ones included, where the model predicts them). */
  reconstruction: Tensor;
  /** `(N, 1, H, W)`: 1 where the model had to reconstruct, 0 where it saw the pixels. */
  mask: Tensor;
}

/** An algorithm that can reconstruct masked images (MAE, SimMIM, PixMIM, …). */
export interface Reconstructor {
  /** The `[height, width]` of the images it reconstructs (its encoder's input size). */
  readonly reconstructionSize: [number, number];
  /**
   * Masks and reconstructs a batch of `(N, C, H, W)` images (uint8 or 0–255 float), without
   * gradients. Algorithms that draw their own masks (MAE) ignore `masks`; those whose masks come
   * from the data pipeline (SimMIM) need `(N, h, w)` patch masks (1 = masked).
   */
  reconstruct(images: Tensor, masks?: Tensor): Reconstruction;
}

/** Whether an algorithm can reconstruct (has a `reconstruct` method and a `reconstructionSize`). */
export function isReconstructor(x: unknown): x is Reconstructor {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as { reconstruct?: unknown; reconstructionSize?: unknown };
  return typeof r.reconstruct === 'function' && Array.isArray(r.reconstructionSize);
}

/** Preprocessed `(N, C, H, W)` values back to 0–255 units: `x · std + mean` per channel. */
export function denormalizeImages(x: Tensor, norm: ImageNormalization): Tensor {
  return torch.tidy(() => {
    const shape = [1, norm.mean.length, 1, 1];
    const mean = torch.tensor(Float32Array.from(norm.mean), { shape, device: x.device }).to(x.dtype);
    const std = torch.tensor(Float32Array.from(norm.std), { shape, device: x.device }).to(x.dtype);
    return x.mul(std).add(mean);
  });
}
