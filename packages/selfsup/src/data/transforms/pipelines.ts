/**
 * MMSelfSup's ready-made augmentation recipes (configs/selfsup/_base_/datasets) as lists of
 * pipeline steps on `(C, H, W)` uint8 tensors, for `MultiView` (re-exported here).
 */
import {
  ColorJitter,
  RandomApply,
  RandomFlip,
  RandomGaussianBlur,
  RandomGrayscale,
  RandomResizedCrop,
  RandomSolarize,
  type Transform,
} from './random.js';
import { BEiTMaskGenerator, SimMIMMaskGenerator } from './masks.js';
import { MultiView } from './multi-view.js';
import type { PipelineStep } from './steps.js';
import { RandomResizedCropAndInterpolationWithTwoPic } from './two-pic.js';

export { type BatchViews, MultiView, maskBatch, type SampleViews } from './multi-view.js';

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

/** SimMIM (Xie et al. 2022): RRC 192 at scale (0.67, 1), flip, then a 32-px block mask over 4-px patches (ratio 0.6). */
export function simmimPipeline(size = 192): PipelineStep[] {
  return [
    new RandomResizedCrop(size, { scale: [0.67, 1], ratio: [3 / 4, 4 / 3] }),
    new RandomFlip(0.5),
    new SimMIMMaskGenerator({ inputSize: size, maskPatchSize: 32, modelPatchSize: 4, maskRatio: 0.6 }),
  ];
}

/**
 * BEiT v2 (Peng et al. 2022): colour jitter 0.4/0.4/0.4, flip, one crop at scale (0.2, 1) resized
 * bicubically to `size` twice (image and tokenizer target), and a block-wise mask of 75 of the
 * (size/16)² patches (at least 16 per block). Views: `[image, target]`, one mask.
 */
export function beitV2Pipeline(size = 224): PipelineStep[] {
  const grid = size / 16;
  if (!Number.isInteger(grid)) throw new RangeError(`beitV2Pipeline: size ${size} is not a multiple of the 16-px patch`);
  return [
    new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0 }),
    new RandomFlip(0.5),
    new RandomResizedCropAndInterpolationWithTwoPic(size, {
      secondSize: size,
      scale: [0.2, 1],
      interpolation: 'bicubic',
      secondInterpolation: 'bicubic',
    }),
    new BEiTMaskGenerator(grid, Math.min(75, Math.round((75 / 196) * grid * grid)), { minNumPatches: 16, maxNumPatches: 75 }),
  ];
}
