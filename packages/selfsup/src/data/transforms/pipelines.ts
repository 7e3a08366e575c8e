/**
 * Multi-view pipelines and MMSelfSup's ready-made augmentation recipes (configs/selfsup/_base_/
 * datasets), as lists of transforms on `(C, H, W)` uint8 tensors.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import {
  ColorJitter,
  Compose,
  RandomApply,
  RandomFlip,
  RandomGaussianBlur,
  RandomGrayscale,
  RandomResizedCrop,
  RandomSolarize,
  type Transform,
} from './random.js';
import { Rng } from './rng.js';

/**
 * Applies pipeline i `numViews[i]` times to the same image (MMSelfSup's MultiView): SimCLR's 2 × one
 * pipeline, BYOL's 1 + 1 asymmetric views, SwAV's 2 × 224 + 6 × 96. View k draws from its own stream.
 */
export class MultiView {
  readonly pipelines: Compose[];
  readonly numViews: number[];

  constructor(pipelines: Transform[][], numViews: number | number[]) {
    this.pipelines = pipelines.map((p) => new Compose(p));
    this.numViews = typeof numViews === 'number' ? [numViews] : numViews;
    if (this.numViews.length !== this.pipelines.length) {
      throw new RangeError(`MultiView: ${this.pipelines.length} pipelines but ${this.numViews.length} view counts`);
    }
  }

  get totalViews(): number {
    return this.numViews.reduce((a, b) => a + b, 0);
  }

  /** The views of one sample; `(seed, epoch, idx)` fix every random choice. */
  apply(img: Tensor, seed: number, epoch: number, idx: number): Tensor[] {
    const out: Tensor[] = [];
    let view = 0;
    this.pipelines.forEach((p, i) => {
      for (let k = 0; k < this.numViews[i]; k++) out.push(p.apply(img, Rng.forSample(seed, epoch, idx, view++)));
    });
    return out;
  }

  /**
   * The views of a batch of samples, one `(N, C, H, W)` tensor per view, equal to stacking `apply`'s
   * views. Each pipeline runs per image up to its last size-changing step (the crop), then the rest
   * (flip, jitter, greyscale, blur, solarize) runs once on the stacked batch with per-image
   * parameters: far fewer libtorch calls per image.
   */
  applyBatch(imgs: Tensor[], seed: number, epoch: number, idxs: number[]): Tensor[] {
    const out: Tensor[] = [];
    let view = 0;
    this.pipelines.forEach((p, i) => {
      let split = p.transforms.length;
      while (split > 0 && p.transforms[split - 1].applyBatch !== undefined) split--;
      const head = new Compose(p.transforms.slice(0, split));
      const tail = new Compose(p.transforms.slice(split));
      for (let k = 0; k < this.numViews[i]; k++, view++) {
        const v = view;
        out.push(
          torch.tidy(() => {
            const rngs = idxs.map((idx) => Rng.forSample(seed, epoch, idx, v));
            const heads = imgs.map((img, j) => head.apply(img, rngs[j]));
            const sizes = new Set(heads.map((h) => h.shape.join('×')));
            if (sizes.size > 1)
              throw new Error(
                `MultiView: view ${v} has images of different sizes (${[...sizes].join(', ')}): add a crop or resize`,
              );
            return tail.applyBatch(torch.stack(heads), rngs);
          }),
        );
      }
    });
    return out;
  }
}

/** SimCLR (Chen et al. 2020): RRC, flip, colour jitter 0.8 (p 0.8), greyscale 0.2, blur 0.5. */
export function simclrPipeline(size = 224): Transform[] {
  return [
    new RandomResizedCrop(size, { scale: [0.08, 1] }),
    new RandomFlip(0.5),
    new RandomApply([new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })], 0.8),
    new RandomGrayscale(0.2),
    new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 0.5 }),
  ];
}

/** MoCo v2 (Chen et al. 2020), also DenseCL and SimSiam: RRC (0.2, 1), jitter 0.4/0.1, flip last. */
export function mocoV2Pipeline(size = 224): Transform[] {
  return [
    new RandomResizedCrop(size, { scale: [0.2, 1] }),
    new RandomApply([new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })], 0.8),
    new RandomGrayscale(0.2),
    new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 0.5 }),
    new RandomFlip(0.5),
  ];
}

/** BYOL (Grill et al. 2020), also BarlowTwins: two asymmetric views (blur 1.0 / 0.1, solarize 0 / 0.2). */
export function byolPipelines(size = 224): [Transform[], Transform[]] {
  const view = (blur: number, solarize: number): Transform[] => [
    new RandomResizedCrop(size, { scale: [0.08, 1], interpolation: 'bicubic' }),
    new RandomFlip(0.5),
    new RandomApply([new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 })], 0.8),
    new RandomGrayscale(0.2),
    new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: blur }),
    new RandomSolarize(128, solarize),
  ];
  return [view(1, 0), view(0.1, 0.2)];
}

/** SwAV's multi-crop (Caron et al. 2020): 2 × `size` crops at scale (0.14, 1) and 6 × `small` at (0.05, 0.14). */
export function swavMultiView(size = 224, small = 96): MultiView {
  const pipe = (s: number, scale: [number, number]): Transform[] => [
    new RandomResizedCrop(s, { scale }),
    new RandomApply([new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })], 0.8),
    new RandomGrayscale(0.2),
    new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 0.5 }),
    new RandomFlip(0.5),
  ];
  return new MultiView([pipe(size, [0.14, 1]), pipe(small, [0.05, 0.14])], [2, 6]);
}

/** MAE (He et al. 2021): RRC (0.2, 1) bicubic and a flip. */
export function maePipeline(size = 224): Transform[] {
  return [new RandomResizedCrop(size, { scale: [0.2, 1], interpolation: 'bicubic' }), new RandomFlip(0.5)];
}
