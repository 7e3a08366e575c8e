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
  /** Masks and reconstructs a batch of `(N, C, H, W)` images (uint8 or 0–255 float), without gradients. */
  reconstruct(images: Tensor): Reconstruction;
}

/** Whether an algorithm can reconstruct (has a `reconstruct` method). */
export function isReconstructor(x: unknown): x is Reconstructor {
  return typeof x === 'object' && x !== null && typeof (x as { reconstruct?: unknown }).reconstruct === 'function';
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
