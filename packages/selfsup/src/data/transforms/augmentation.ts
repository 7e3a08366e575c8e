/**
 * What an augmentation means, apart from how fast it runs (tfjs-core's op/kernel split). An
 * `Augmentation` is the small readable definition: the parameters one image draws from its
 * seeded stream (`sample`, in torchvision's draw order) and the reference computation on a
 * `(C, H, W)` uint8 tensor (`reference`: torchvision's tensor op, or PIL's arithmetic for
 * `backend: 'pillow'`). Its kernels are faster paths that must give the same pixels: `batch` on
 * `(N, C, H, W)` with per-image parameters, `bytes` in place on an image in JS memory (the
 * loader's workers), each tested against `reference` (test/data/transforms/augmentation.test.ts).
 */
import type { Tensor } from '@selfsup/torch';
import type { Planes } from './bytes.js';
import type { Rng } from './rng.js';

export interface AugmentationKernels<P> {
  /** The batch `(N, C, H, W)` with image i's parameters `params[i]` (null: unchanged). */
  batch?: (batch: Tensor, params: (P | null)[]) => Tensor;
  /** One 3-channel uint8 image in JS memory, changed in place. */
  bytes?: (img: Planes, p: P) => void;
}

export interface Augmentation<P> {
  /** One image's parameters for an image of `height × width`; null leaves the image as it is. */
  sample(rng: Rng, height: number, width: number): P | null;
  /** The image `(C, H, W)` (or a batch) with parameters `p`: the definition every kernel matches. */
  reference(img: Tensor, p: P): Tensor;
  kernels: AugmentationKernels<P>;
}

/** `(H, W)` of an image or a batch. */
export const dims = (img: Tensor): [number, number] => [img.shape[img.dim() - 2], img.shape[img.dim() - 1]];

/** A transform from an augmentation: `apply` is its reference; the kernels give `applyBatch` and `applyBytes`. */
export abstract class AugmentationTransform<P> {
  protected abstract readonly augmentation: Augmentation<P>;

  /** One image `(C, H, W)`: draws its parameters, then the reference computation. */
  apply(img: Tensor, rng: Rng): Tensor {
    const [h, w] = dims(img);
    const p = this.augmentation.sample(rng, h, w);
    return p === null ? img : this.augmentation.reference(img, p);
  }

  /** A batch `(N, C, H, W)`, image i drawing from `rngs[i]` (absent without a batch kernel). */
  get applyBatch(): ((batch: Tensor, rngs: Rng[]) => Tensor) | undefined {
    const { sample, kernels } = this.augmentation;
    const kernel = kernels.batch;
    if (!kernel) return undefined;
    return (batch, rngs) => {
      const [h, w] = dims(batch);
      return kernel(
        batch,
        rngs.map((r) => sample.call(this.augmentation, r, h, w)),
      );
    };
  }

  /** One image in JS memory, in place (absent without a bytes kernel). */
  get applyBytes(): ((img: Planes, rng: Rng) => void) | undefined {
    const { sample, kernels } = this.augmentation;
    const kernel = kernels.bytes;
    if (!kernel) return undefined;
    return (img, rng) => {
      const p = sample.call(this.augmentation, rng, img.h, img.w);
      if (p !== null) kernel(img, p);
    };
  }
}
