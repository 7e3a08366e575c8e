/**
 * Image normalisation shared by training and evaluation (MMSelfSup's `SelfSupDataPreprocessor`):
 * per-channel mean/std in 0–255 units applied to uint8 `(N, C, H, W)` images.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** Per-channel statistics in 0–255 units (MMSelfSup's `mean`/`std`), one entry per channel. */
export interface ImageNormalization {
  mean: number[];
  std: number[];
}

/** Checks that mean and std are usable: same length, finite, std > 0. */
export function checkNormalization(norm: ImageNormalization, who: string): void {
  if (norm.mean.length === 0 || norm.mean.length !== norm.std.length)
    throw new RangeError(`${who}: mean has ${norm.mean.length} entries but std has ${norm.std.length}`);
  if (!norm.mean.every(Number.isFinite) || !norm.std.every((s) => Number.isFinite(s) && s > 0))
    throw new RangeError(`${who}: mean must be finite and std positive, got mean [${norm.mean}] std [${norm.std}]`);
}

/**
 * uint8 (or float, 0–255) `(N, C, H, W)` → float32 `(x − mean) / std` per channel. Grey images
 * (`C = 1`) with 3-channel statistics are repeated to 3 channels, as MMSelfSup does for MNIST-like
 * data fed to RGB backbones.
 */
export function normalizeImages(images: Tensor, norm: ImageNormalization): Tensor {
  return torch.tidy(() => {
    if (images.dim() !== 4) throw new RangeError(`normalizeImages: expected (N, C, H, W) images, got shape [${images.shape}]`);
    let x = images.float();
    const c = x.shape[1];
    const k = norm.mean.length;
    if (c === 1 && k === 3) x = x.expand(-1, 3, -1, -1);
    else if (c !== k) throw new RangeError(`normalizeImages: images have ${c} channels but mean/std have ${k}`);
    const shape = [1, k, 1, 1];
    // A typed array: `shape` applies to typed-array data only (nested arrays infer their own).
    const mean = torch.tensor(Float32Array.from(norm.mean), { shape, device: x.device });
    const std = torch.tensor(Float32Array.from(norm.std), { shape, device: x.device });
    return x.sub(mean).div(std);
  });
}
