/**
 * Recipe builders for configs: functions of a few numbers that return plain config data (no side
 * effects, no file or process access), typed by the parts' schemas. The augmentation recipes of
 * MMSelfSup's `configs/selfsup/_base_/datasets` (SimCLR, MoCo v2, BYOL, MoCo v3, SwAV and DINO
 * multi-crop, MAE, SimMIM, BEiT v1 and v2, CAE, MaskFeat) at any crop size, with either pixel backend and with
 * or without blur; the projector/predictor/head of each algorithm of `_base_/models` (MaskFeat's whole
 * model) with its widths as parameters; the optimizers, LARS exclusions and schedules the recipes share.
 *
 * ```ts
 * import { defineConfig, imagenetLoader, simclrViews } from 'selfsup/config';
 * export default defineConfig({ trainDataloader: imagenetLoader(simclrViews({ size: 224, backend: 'pillow' })) });
 * ```
 * The views are built with `buildViews` (`src/data/register.ts`), as a config's are.
 */
import type {
  AlgorithmConfig,
  BackboneConfig,
  DatasetConfig,
  HeadConfig,
  HookConfig,
  MultiViewConfig,
  NeckConfig,
  OptimizerConfig,
  PipelineConfig,
  PipelineStepConfig,
  SchedulerConfig,
  TransformConfig,
} from '../../part-configs.js';
import type { z } from '../../core/schema.js';
import type { optimWrapperSchema } from '../optim-builder.js';
import type { configSchema } from './config.js';

/** The member of a union of part configs named `N`. */
type Of<U, N extends string> = Extract<U, { type: N }>;
type Range = [number, number];

// ---------------------------------------------------------------- pipeline steps

/**
 * Pixel arithmetic: 'tensor' (selfsup's batched kernels, the default) or 'pillow' (Pillow's results,
 * as MMSelfSup's PIL-based pipelines compute). Only 'pillow' is written into a config.
 */
export type Backend = 'tensor' | 'pillow';
const on = (backend: Backend | undefined) => (backend === 'pillow' ? { backend } : {});

export function randomResizedCrop(
  size: number,
  scale: Range,
  o: { backend?: Backend; ratio?: Range; interpolation?: 'bilinear' | 'bicubic' } = {},
): Of<TransformConfig, 'RandomResizedCrop'> {
  return {
    type: 'RandomResizedCrop',
    ...on(o.backend),
    size,
    scale,
    ...(o.ratio && { ratio: o.ratio }),
    ...(o.interpolation && { interpolation: o.interpolation }),
  };
}

export const flip = (prob = 0.5): Of<TransformConfig, 'RandomFlip'> => ({ type: 'RandomFlip', prob });

/** torchvision's ColorJitter; the factors not given are not written (no change). */
export function colorJitter(o: {
  brightness: number;
  contrast: number;
  saturation?: number;
  hue?: number;
  backend?: Backend;
}): Of<TransformConfig, 'ColorJitter'> {
  const { brightness, contrast, saturation, hue } = o;
  return {
    type: 'ColorJitter',
    ...on(o.backend),
    brightness,
    contrast,
    ...(saturation !== undefined && { saturation }),
    ...(hue !== undefined && { hue }),
  };
}

export const randomApply = (transforms: TransformConfig[], prob: number): Of<TransformConfig, 'RandomApply'> => ({
  type: 'RandomApply',
  transforms,
  prob,
});

export const grayscale = (prob: number, backend?: Backend): Of<TransformConfig, 'RandomGrayscale'> => ({
  type: 'RandomGrayscale',
  ...on(backend),
  prob,
});

/** SimCLR's blur: σ ~ U[0.1, 2]. */
export const gaussianBlur = (prob: number, backend?: Backend): Of<TransformConfig, 'RandomGaussianBlur'> => ({
  type: 'RandomGaussianBlur',
  ...on(backend),
  sigmaMin: 0.1,
  sigmaMax: 2,
  prob,
});

export const solarize = (prob: number): Of<TransformConfig, 'RandomSolarize'> => ({
  type: 'RandomSolarize',
  threshold: 128,
  prob,
});

// ---------------------------------------------------------------- views

/** What the augmentation recipes vary. */
export interface ViewOptions {
  /** Crop size (default 224). */
  size?: number;
  /** Default 'tensor'. */
  backend?: Backend;
  /** Gaussian blur (default true; the CIFAR recipes drop it: it erases 32 px detail). */
  blur?: boolean;
}

/** The blur step where `blur` is on and `prob` is not undefined. */
const blurIf = (blur: boolean, prob: number, backend: Backend) => (blur ? [gaussianBlur(prob, backend)] : []);
/** Colour jitter with probability 0.8. */
const jitter = (b: number, c: number, s: number, h: number, backend: Backend) =>
  randomApply([colorJitter({ brightness: b, contrast: c, saturation: s, hue: h, backend })], 0.8);

/** SimCLR (Chen et al. 2020): 2 views of RRC (0.08, 1), flip, jitter 0.8/0.8/0.8/0.2, greyscale 0.2, blur 0.5. */
export function simclrViews({ size = 224, backend = 'tensor', blur = true }: ViewOptions = {}): MultiViewConfig {
  const view = [
    randomResizedCrop(size, [0.08, 1], { backend }),
    flip(),
    jitter(0.8, 0.8, 0.8, 0.2, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, 0.5, backend),
  ];
  return { type: 'MultiView', numViews: 2, transforms: [view] };
}

/** MoCo v2 (Chen et al. 2020), also DenseCL and SimSiam: 2 views of RRC (0.2, 1), jitter 0.4/0.4/0.4/0.1, greyscale, blur 0.5, flip last. */
export function mocoV2Views({ size = 224, backend = 'tensor', blur = true }: ViewOptions = {}): MultiViewConfig {
  const view = [
    randomResizedCrop(size, [0.2, 1], { backend }),
    jitter(0.4, 0.4, 0.4, 0.1, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, 0.5, backend),
    flip(),
  ];
  return { type: 'MultiView', numViews: 2, transforms: [view] };
}

/** BYOL (Grill et al. 2020), also BarlowTwins and VICReg: two asymmetric views, blur 1.0 / 0.1, solarize 0 / 0.2, bicubic RRC (0.08, 1). */
export function byolViews({ size = 224, backend = 'tensor', blur = true }: ViewOptions = {}): MultiViewConfig {
  const view = (blurProb: number, solarizeProb: number) => [
    randomResizedCrop(size, [0.08, 1], { backend, interpolation: 'bicubic' }),
    flip(),
    jitter(0.4, 0.4, 0.2, 0.1, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, blurProb, backend),
    solarize(solarizeProb),
  ];
  return { type: 'MultiView', numViews: [1, 1], transforms: [view(1, 0), view(0.1, 0.2)] };
}

/**
 * MoCo v3 (Chen et al. 2021): BYOL's asymmetric views with RRC (0.2, 1) and the flip last. The ViT
 * recipes crop at `scale` (0.08, 1).
 */
export function mocoV3Views({
  size = 224,
  backend = 'tensor',
  blur = true,
  scale = [0.2, 1],
}: ViewOptions & { scale?: Range } = {}): MultiViewConfig {
  const view = (blurProb: number, solarizeProb: number) => [
    randomResizedCrop(size, scale, { backend }),
    jitter(0.4, 0.4, 0.2, 0.1, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, blurProb, backend),
    solarize(solarizeProb),
    flip(),
  ];
  return { type: 'MultiView', numViews: [1, 1], transforms: [view(1, 0), view(0.1, 0.2)] };
}

/**
 * MoCo v1 (He et al. 2020; MMSelfSup's `imagenet_mocov1.py`): 2 views of RRC (0.2, 1), greyscale 0.2,
 * colour jitter 0.4/0.4/0.4/0.4 always applied, flip.
 */
export function mocoV1Views({ size = 224, backend = 'tensor' }: Omit<ViewOptions, 'blur'> = {}): MultiViewConfig {
  const view = [
    randomResizedCrop(size, [0.2, 1], { backend }),
    grayscale(0.2, backend),
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.4, backend }),
    flip(),
  ];
  return { type: 'MultiView', numViews: 2, transforms: [view] };
}

/** NPID (Wu et al. 2018; MMSelfSup's `imagenet_npid.py`): MoCo v1's augmentation, one view. */
export function npidViews({ size = 224, backend = 'tensor' }: Omit<ViewOptions, 'blur'> = {}): MultiViewConfig {
  return { ...mocoV1Views({ size, backend }), numViews: 1 };
}

/**
 * ODC (Zhan et al. 2020; MMSelfSup's `imagenet_odc.py`): RRC (0.08, 1), flip, rotation ±2°, colour
 * jitter 0.4/0.4/1.0/0.5 always applied, greyscale 0.2; one view.
 */
export function odcViews({ size = 224, backend = 'tensor' }: Omit<ViewOptions, 'blur'> = {}): MultiViewConfig {
  const view = [
    randomResizedCrop(size, [0.08, 1], { backend }),
    flip(),
    { type: 'RandomRotation' as const, degrees: 2 },
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 1.0, hue: 0.5, backend }),
    grayscale(0.2, backend),
  ];
  return { type: 'MultiView', numViews: 1, transforms: [view] };
}

/** Multi-crop options: `size` for the global crops, `smallSize` for the local ones. */
export interface MultiCropOptions extends ViewOptions {
  /** Local crop size (default 96). */
  smallSize?: number;
  /** Global and local crops (SwAV default [2, 6], DINO [2, 10]). */
  numCrops?: [number, number];
}

/** SwAV's multi-crop (Caron et al. 2020): global crops at scale (0.14, 1), local ones at (0.05, 0.14); jitter 0.8, blur 0.5, flip last. */
export function swavViews({
  size = 224,
  smallSize = 96,
  numCrops = [2, 6],
  backend = 'tensor',
  blur = true,
}: MultiCropOptions = {}): MultiViewConfig {
  const view = (s: number, scale: Range) => [
    randomResizedCrop(s, scale, { backend }),
    jitter(0.8, 0.8, 0.8, 0.2, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, 0.5, backend),
    flip(),
  ];
  return { type: 'MultiView', numViews: numCrops, transforms: [view(size, [0.14, 1]), view(smallSize, [0.05, 0.14])] };
}

/**
 * DINO's multi-crop (Caron et al. 2021): bicubic global crops at scale (split, 1) with blur 1.0,
 * local ones at (0.05, split) with blur 0.5; flip, jitter 0.4/0.4/0.2/0.1, greyscale.
 */
export function dinoViews({
  size = 224,
  smallSize = 96,
  numCrops = [2, 10],
  split = 0.4,
  backend = 'tensor',
  blur = true,
}: MultiCropOptions & { split?: number } = {}): MultiViewConfig {
  const view = (s: number, scale: Range, blurProb: number) => [
    randomResizedCrop(s, scale, { backend, interpolation: 'bicubic' }),
    flip(),
    jitter(0.4, 0.4, 0.2, 0.1, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, blurProb, backend),
  ];
  return {
    type: 'MultiView',
    numViews: numCrops,
    transforms: [view(size, [split, 1], 1), view(smallSize, [0.05, split], 0.5)],
  };
}

/**
 * MMSelfSup's `projects/dino` `DINOMultiCrop` (the ViT recipe): 2 global bicubic crops at scale
 * (split, 1) and `numLocal` local ones at (0.05, split), each flipped, jittered 0.4/0.4/0.2/0.1 with
 * probability 0.8, greyscaled with 0.2 and always blurred; the second global crop is also solarized
 * with 0.2. Views: global 1, global 2, then the local crops.
 */
export function dinoMultiCropViews({
  size = 224,
  smallSize = 96,
  numLocal = 8,
  split = 0.4,
  backend = 'tensor',
  blur = true,
}: Omit<MultiCropOptions, 'numCrops'> & { numLocal?: number; split?: number } = {}): MultiViewConfig {
  const view = (s: number, scale: Range, solarizeProb?: number) => [
    randomResizedCrop(s, scale, { backend, interpolation: 'bicubic' }),
    flip(),
    jitter(0.4, 0.4, 0.2, 0.1, backend),
    grayscale(0.2, backend),
    ...blurIf(blur, 1, backend),
    ...(solarizeProb === undefined ? [] : [solarize(solarizeProb)]),
  ];
  return {
    type: 'MultiView',
    numViews: [1, 1, numLocal],
    transforms: [view(size, [split, 1]), view(size, [split, 1], 0.2), view(smallSize, [0.05, split])],
  };
}

/** MAE (He et al. 2022): one view, bicubic RRC (0.2, 1) and a flip. */
export function maeViews({ size = 224, backend = 'tensor' }: Omit<ViewOptions, 'blur'> = {}): MultiViewConfig {
  return {
    type: 'MultiView',
    numViews: 1,
    transforms: [[randomResizedCrop(size, [0.2, 1], { interpolation: 'bicubic', backend }), flip()]],
  };
}

/**
 * PixMIM (Liu et al. 2023): the less object-centric view — resize the short side to `size`, a
 * `size` crop of the image padded by 4 (reflect), and a flip (MMSelfSup's torchvision pipeline).
 */
export function pixmimViews({ size = 224 }: { size?: number } = {}): MultiViewConfig {
  return {
    type: 'MultiView',
    numViews: 1,
    transforms: [[{ type: 'Resize', size }, { type: 'RandomCrop', size, padding: 4, paddingMode: 'reflect' }, flip()]],
  };
}

/** What `simmimViews` varies: the crop size, the pixel backend and SimMIMMaskGenerator's options. */
export interface SimMIMViewOptions {
  /** Crop size, also the mask generator's `inputSize` (default 192). */
  size?: number;
  /** Default 'tensor'. */
  backend?: Backend;
  /** Side of a masked block in pixels (default 32). */
  maskPatchSize?: number;
  /** The backbone's patch size: the mask is a grid of these (default 4, Swin's). */
  modelPatchSize?: number;
  /** Fraction of blocks masked (default 0.6). */
  maskRatio?: number;
}

/**
 * SimMIM (Xie et al. 2022): RRC at scale (0.67, 1), flip, then a mask of `maskPatchSize`-px blocks
 * over `modelPatchSize`-px patches (default 32 over 4, ratio 0.6).
 */
export function simmimViews({
  size = 192,
  backend = 'tensor',
  maskPatchSize = 32,
  modelPatchSize = 4,
  maskRatio = 0.6,
}: SimMIMViewOptions = {}): MultiViewConfig {
  const steps: PipelineStepConfig[] = [
    randomResizedCrop(size, [0.67, 1], { backend, ratio: [3 / 4, 4 / 3] }),
    flip(),
    { type: 'SimMIMMaskGenerator', inputSize: size, maskPatchSize, modelPatchSize, maskRatio },
  ];
  return { type: 'MultiView', numViews: 1, transforms: [steps] };
}

/**
 * BEiT v2 (Peng et al. 2022), MMSelfSup's `imagenet_beitv2.py`: colour jitter 0.4/0.4/0.4, flip, one
 * crop at scale (0.2, 1) resized bicubically to `size` (the image) and to `secondSize` (VQ-KD's view;
 * default `size`), and a block-wise mask of 75 of the 196 patches in blocks of 16 to 75 patches (the
 * same fractions on another grid). Views: `[image, target]`, one mask.
 */
export function beitV2Views({
  size = 224,
  secondSize = size,
  patchSize = 16,
}: {
  size?: number;
  secondSize?: number;
  patchSize?: number;
} = {}): MultiViewConfig {
  const grid = size / patchSize;
  if (!Number.isInteger(grid)) throw new RangeError(`beitV2Views: size ${size} is not a multiple of the ${patchSize}-px patch`);
  const patches = grid * grid;
  const masked = Math.max(1, Math.round((75 / 196) * patches));
  const steps: PipelineStepConfig[] = [
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0 }),
    flip(),
    {
      type: 'RandomResizedCropAndInterpolationWithTwoPic',
      size,
      secondSize,
      scale: [0.2, 1],
      interpolation: 'bicubic',
      secondInterpolation: 'bicubic',
    },
    {
      type: 'BEiTMaskGenerator',
      inputSize: grid,
      numMaskingPatches: masked,
      minNumPatches: Math.max(1, Math.round((16 / 196) * patches)),
      maxNumPatches: masked,
    },
  ];
  return { type: 'MultiView', numViews: 1, transforms: [steps] };
}

/**
 * The patch grid of a DALL-E-tokenized recipe (BEiT v1, CAE): `size / patchSize` per side, which
 * DALL-E's 8-px cells at `secondSize` must match. `helper` names the caller in errors.
 */
function dallEGrid(helper: string, size: number, secondSize: number, patchSize: number): number {
  const grid = size / patchSize;
  if (!Number.isInteger(grid)) throw new RangeError(`${helper}: size ${size} is not a multiple of the ${patchSize}-px patch`);
  if (secondSize / 8 !== grid)
    throw new RangeError(
      `${helper}: DALL-E's ${secondSize / 8}-cell grid at ${secondSize} px must be the ${grid}x${grid} patch grid`,
    );
  return grid;
}

/** BEiT v1's crop: one crop at scale (0.08, 1), bicubic to `size` and Lanczos to `secondSize`. */
const dallETwoPicCrop = (size: number, secondSize: number): PipelineStepConfig => ({
  type: 'RandomResizedCropAndInterpolationWithTwoPic',
  size,
  secondSize,
  scale: [0.08, 1],
  interpolation: 'bicubic',
  secondInterpolation: 'lanczos',
});

/** BEiT v1's mask on a `grid`² patch grid: 75 of 196 patches, blocks of at least 16 (the same fractions). */
const beitV1MaskCount = (grid: number) => Math.max(1, Math.round((75 / 196) * grid * grid));
const beitV1Mask = (grid: number): PipelineStepConfig => ({
  type: 'BEiTMaskGenerator',
  inputSize: grid,
  numMaskingPatches: beitV1MaskCount(grid),
  minNumPatches: Math.max(1, Math.round((16 / 196) * grid * grid)),
});

/**
 * BEiT v1 (Bao et al. 2022), MMSelfSup's `imagenet_beit.py`: colour jitter 0.4/0.4/0.4, flip, one
 * crop at scale (0.08, 1) resized bicubically to `size` (the image) and with Lanczos to `secondSize`
 * (DALL-E's view: 112 px at 224, the tokenizer's 8-px cells then cover the 16-px patches' grid), and a
 * block-wise mask of 75 of the 196 patches in blocks of at least 16 (the same fractions on another
 * grid). The tokenizer view's map_pixels normalisation is the model's `dataPreprocessor.secondMean/secondStd`.
 */
export function beitV1Views({
  size = 224,
  secondSize = size / 2,
  patchSize = 16,
}: {
  size?: number;
  secondSize?: number;
  patchSize?: number;
} = {}): MultiViewConfig {
  const grid = dallEGrid('beitV1Views', size, secondSize, patchSize);
  const steps: PipelineStepConfig[] = [
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0 }),
    flip(),
    dallETwoPicCrop(size, secondSize),
    beitV1Mask(grid),
  ];
  return { type: 'MultiView', numViews: 1, transforms: [steps] };
}

/**
 * CAE (Chen et al. 2022), MMSelfSup's `imagenet_cae.py`: BEiT v1's views without the colour jitter
 * (flip, the image at `size` and DALL-E's Lanczos view at `secondSize` of one crop at scale (0.08, 1),
 * 75 of 196 patches masked in blocks of at least 16). CAE's regressor needs exactly the neck's
 * `maskTokensNum` masked patches in every image, and BEiT's block-wise generator can stop short of its
 * count (rarely on 14 × 14, about once per 1e5 images on 4 × 4): `exactMask` swaps it for a
 * `SimMIMMaskGenerator` over single patches that always masks that same count (⌈ratio · patches⌉).
 */
export function caeViews({
  size = 224,
  secondSize = size / 2,
  patchSize = 16,
  exactMask = false,
}: {
  size?: number;
  secondSize?: number;
  patchSize?: number;
  exactMask?: boolean;
} = {}): MultiViewConfig {
  const grid = dallEGrid('caeViews', size, secondSize, patchSize);
  const count = beitV1MaskCount(grid);
  const maskRatio = count / (grid * grid);
  if (exactMask && Math.ceil(grid * grid * maskRatio) !== count)
    throw new RangeError(
      `caeViews: a ${grid}x${grid} grid cannot mask exactly ${count} patches with SimMIMMaskGenerator's ratio`,
    );
  const mask: PipelineStepConfig = exactMask
    ? { type: 'SimMIMMaskGenerator', inputSize: size, maskPatchSize: patchSize, modelPatchSize: patchSize, maskRatio }
    : beitV1Mask(grid);
  return { type: 'MultiView', numViews: 1, transforms: [[flip(), dallETwoPicCrop(size, secondSize), mask]] };
}

/**
 * MaskFeat (Wei et al. 2022), MMSelfSup's `imagenet_maskfeat.py`: bicubic RRC at scale (0.5, 1) and
 * ratio (0.75, 1.3333), a flip, then BEiT's block-wise mask over the (size / patchSize)² patch grid:
 * 78 of the 196 patches in blocks of at least 15 at 224 px, the same fractions on another grid.
 */
export function maskFeatViews({
  size = 224,
  patchSize = 16,
  backend = 'tensor',
}: {
  size?: number;
  patchSize?: number;
  backend?: Backend;
} = {}): MultiViewConfig {
  const grid = size / patchSize;
  if (!Number.isInteger(grid)) throw new RangeError(`maskFeatViews: size ${size} is not a multiple of the ${patchSize}-px patch`);
  const patches = grid * grid;
  const steps: PipelineStepConfig[] = [
    randomResizedCrop(size, [0.5, 1], { backend, ratio: [0.75, 1.3333], interpolation: 'bicubic' }),
    flip(),
    {
      type: 'BEiTMaskGenerator',
      inputSize: grid,
      numMaskingPatches: Math.max(1, Math.round((78 / 196) * patches)),
      minNumPatches: Math.max(1, Math.round((15 / 196) * patches)),
    },
  ];
  return { type: 'MultiView', numViews: 1, transforms: [steps] };
}

// ---------------------------------------------------------------- datasets

type Dataloader = z.input<typeof configSchema>['trainDataloader'];

/** CIFAR-10's train split (`selfsup data prepare cifar10`), batch 256, two loader threads. */
export const cifar10Loader = (pipeline: PipelineConfig): Dataloader => ({
  batchSize: 256,
  numWorkers: 2,
  dataset: { type: 'CIFAR10', root: 'data/cifar10', split: 'train', pipeline },
});

/** ImageNet-1k's train folder, batch 32 per process, eight loader threads. */
export const imagenetLoader = (pipeline: PipelineConfig): Dataloader => ({
  batchSize: 32,
  numWorkers: 8,
  dataset: { type: 'ImageFolder', root: 'data/imagenet/train', pipeline },
});

// ---------------------------------------------------------------- models

/** ResNet-50 as MMSelfSup's ImageNet recipes use it (the last BN of each block zero-initialised). */
export const resnet50 = (): BackboneConfig => ({ type: 'ResNet', depth: 50, zeroInitResidual: true });

type Mlp = { inChannels: number; hidChannels: number; outChannels: number };
type Model<N extends string> = Omit<Of<AlgorithmConfig, N>, 'backbone'>;

/** SimCLR: a 2-layer NonLinearNeck and NT-Xent at `temperature` (MMSelfSup: 2048-2048-128, 0.1). */
export function simclrModel({ temperature, ...mlp }: Mlp & { temperature: number }): Model<'SimCLR'> {
  return {
    type: 'SimCLR',
    neck: { type: 'NonLinearNeck', ...mlp, numLayers: 2, withAvgPool: true },
    head: { type: 'ContrastiveHead', temperature },
  };
}

/** What MoCo v2 and DenseCL share: a `queueLen` queue of 128-d keys, a key encoder of momentum `momentum`. */
type Queue = { queueLen: number; momentum: number; inChannels: number; hidChannels: number };
const queue = (o: Queue) => ({ queueLen: o.queueLen, featDim: 128, momentum: o.momentum });
const infoNce = () => ({ type: 'ContrastiveHead' as const, temperature: 0.2 });

/** MoCo v2: the queue, a 2-layer 128-d projector, InfoNCE at 0.2. */
export function mocoV2Model(o: Queue): Model<'MoCo'> {
  const { inChannels, hidChannels } = o;
  const neck = { type: 'MoCoV2Neck' as const, inChannels, hidChannels, outChannels: 128, withAvgPool: true };
  return { type: 'MoCo', ...queue(o), neck, head: infoNce() };
}

/** DenseCL: MoCo v2's queue with the dense neck, global and dense losses weighted 0.5. */
export function denseCLModel(o: Queue): Model<'DenseCL'> {
  const { inChannels, hidChannels } = o;
  const neck = { type: 'DenseCLNeck' as const, inChannels, hidChannels, outChannels: 128 };
  return { type: 'DenseCL', ...queue(o), lossLambda: 0.5, neck, head: infoNce() };
}

/** BYOL: projector and predictor MLPs with biases and no last BN; target momentum 0.99 (cosine to 1). */
export function byolModel({ inChannels, hidChannels, outChannels }: Mlp): Model<'BYOL'> {
  const mlp = { hidChannels, outChannels, withBias: true, withLastBn: false };
  return {
    type: 'BYOL',
    baseMomentum: 0.99,
    neck: { type: 'NonLinearNeck', inChannels, ...mlp, withAvgPool: true },
    head: {
      type: 'LatentPredictHead',
      loss: { type: 'CosineSimilarityLoss' },
      predictor: { type: 'NonLinearNeck', inChannels: outChannels, ...mlp, withAvgPool: false },
    },
  };
}

/**
 * MoCo v3: projector and predictor without biases, the projector's last BN without affine; InfoNCE
 * at `temperature`. The ResNet recipes: a 2-layer projector on the pooled map and a predictor without
 * last BN (MMSelfSup's and the paper's) unless `predictorLastBn` (the CPU-sized CIFAR-10 recipe's).
 * `vit: true` is the ViT recipe (`mocov3_vit-small-p16.py`): a 3-layer projector on the class token
 * (`vitBackbone`) and a predictor with a last BN.
 */
export function mocoV3Model(o: Mlp & { temperature: number; predictorLastBn?: boolean; vit?: boolean }): Model<'MoCoV3'> {
  const { temperature, inChannels, hidChannels, outChannels, vit = false } = o;
  const predictorLastBn = o.predictorLastBn ?? vit;
  const mlp = (i: number, numLayers: number, withAvgPool: boolean, withLastBn: boolean): NeckConfig => ({
    type: 'NonLinearNeck',
    inChannels: i,
    hidChannels,
    outChannels,
    numLayers,
    withBias: false,
    withLastBn,
    withLastBnAffine: false,
    withLastBias: false,
    withAvgPool,
  });
  const neck = vit ? { ...mlp(inChannels, 3, false, true), vitBackbone: true } : mlp(inChannels, 2, true, true);
  return {
    type: 'MoCoV3',
    baseMomentum: 0.99,
    neck,
    head: { type: 'MoCoV3Head', temperature, predictor: mlp(outChannels, 2, false, predictorLastBn) },
  };
}

/**
 * MoCo v1 (He et al. 2020; MMSelfSup's `_base_/models/mocov1.py`): a queue of 65536 128-d keys, a
 * key encoder of momentum 0.999, a linear 128-d projection of the pooled map, InfoNCE at 0.07.
 * Smaller `queueLen`/`momentum` size it for a CPU.
 */
export function mocoV1Model(o: { inChannels: number; queueLen?: number; momentum?: number }): Model<'MoCo'> {
  return {
    type: 'MoCo',
    queueLen: o.queueLen ?? 65536,
    featDim: 128,
    momentum: o.momentum ?? 0.999,
    neck: { type: 'LinearNeck', inChannels: o.inChannels, outChannels: 128, withAvgPool: true },
    head: { type: 'ContrastiveHead', temperature: 0.07 },
  };
}

/** NPID: a linear 128-d projection, InfoNCE at 0.07 against `negNum` bank rows, bank momentum 0.5 (MMSelfSup's `_base_/models/npid.py`). */
export function npidModel(o: { inChannels: number; negNum?: number; length?: number }): Model<'NPID'> {
  return {
    type: 'NPID',
    negNum: o.negNum ?? 65536,
    neck: { type: 'LinearNeck', inChannels: o.inChannels, outChannels: 128, withAvgPool: true },
    head: { type: 'ContrastiveHead', temperature: 0.07 },
    memoryBank: { type: 'SimpleMemory', ...(o.length !== undefined && { length: o.length }), featDim: 128, momentum: 0.5 },
  };
}

/** ODC: ODCNeck (→ 512 → 256), a ClsHead over `numClasses` clusters, the memory (momentum 0.5, `minCluster` 20) (MMSelfSup's `_base_/models/odc.py`). */
export function odcModel(o: { inChannels: number; numClasses: number; minCluster?: number; length?: number }): Model<'ODC'> {
  return {
    type: 'ODC',
    neck: { type: 'ODCNeck', inChannels: o.inChannels, hidChannels: 512, outChannels: 256, withAvgPool: true },
    head: { type: 'ClsHead', loss: { type: 'CrossEntropyLoss' }, withAvgPool: false, inChannels: 256, numClasses: o.numClasses },
    memoryBank: {
      type: 'ODCMemory',
      ...(o.length !== undefined && { length: o.length }),
      featDim: 256,
      momentum: 0.5,
      numClasses: o.numClasses,
      minCluster: o.minCluster ?? 20,
    },
  };
}

/**
 * MMSelfSup's ODCHook settings (centroids every 10 iterations, small clusters every iteration,
 * √ re-weighting), the memory first clustered from the features of `dataset` (the training images
 * with a deterministic pipeline: MMSelfSup's DeepClusterHook `extract_dataloader`).
 */
export function odcHook(dataset: DatasetConfig, batchSize = 128): HookConfig {
  return {
    type: 'ODCHook',
    centroidsUpdateInterval: 10,
    dealWithSmallClustersInterval: 1,
    evaluateInterval: 50,
    reweight: true,
    reweightPow: 0.5,
    extractDataloader: { batchSize, dataset },
  };
}

/** SimSiam: a 3-layer projector (last BN without affine) and a bottleneck predictor of `predHidChannels`. */
export function simsiamModel({ predHidChannels, ...mlp }: Mlp & { predHidChannels: number }): Model<'SimSiam'> {
  return {
    type: 'SimSiam',
    neck: { type: 'NonLinearNeck', ...mlp, numLayers: 3, withLastBnAffine: false, withAvgPool: true },
    head: {
      type: 'LatentPredictHead',
      loss: { type: 'CosineSimilarityLoss' },
      predictor: {
        type: 'NonLinearNeck',
        inChannels: mlp.outChannels,
        hidChannels: predHidChannels,
        outChannels: mlp.outChannels,
        withAvgPool: false,
        withLastBn: false,
        withLastBias: true,
      },
    },
  };
}

/** Barlow Twins: a 3-layer projector without last BN or bias, the cross-correlation loss on its output. */
export function barlowTwinsModel(mlp: Mlp): Model<'BarlowTwins'> {
  return {
    type: 'BarlowTwins',
    neck: { type: 'NonLinearNeck', ...mlp, numLayers: 3, withLastBn: false, withLastBias: false, withAvgPool: true },
    head: { type: 'LatentCrossCorrelationHead', inChannels: mlp.outChannels, loss: { type: 'CrossCorrelationLoss' } },
  };
}

/** VICReg: a 3-layer expander with biases and no last BN. */
export function vicregModel(mlp: Mlp): Model<'VICReg'> {
  return {
    type: 'VICReg',
    neck: {
      type: 'NonLinearNeck',
      ...mlp,
      numLayers: 3,
      withBias: true,
      withLastBn: false,
      withLastBias: true,
      withAvgPool: true,
    },
    head: { type: 'VICRegHead' },
  };
}

/**
 * SwAV: an L2-normalised 128-d projection, Sinkhorn (ε 0.05) codes over `numPrototypes` prototypes
 * frozen for `freezePrototypesIters` iterations, a feature queue of `queueLength` from epoch 15.
 */
export function swavModel(o: {
  inChannels: number;
  hidChannels: number;
  numCrops: [number, number];
  numPrototypes: number;
  freezePrototypesIters: number;
  queueLength: number;
}): Model<'SwAV'> {
  const { inChannels, hidChannels, numCrops, numPrototypes, freezePrototypesIters, queueLength } = o;
  return {
    type: 'SwAV',
    neck: { type: 'SwAVNeck', inChannels, hidChannels, outChannels: 128, withAvgPool: true, withL2norm: true },
    head: {
      type: 'SwAVHead',
      loss: {
        type: 'SwAVLoss',
        featDim: 128,
        epsilon: 0.05,
        temperature: 0.1,
        numCrops,
        numPrototypes,
        freezePrototypesIters,
        queueLength,
        epochQueueStarts: 15,
      },
    },
  };
}

/**
 * DINO: the DINO projector, a teacher of momentum `baseMomentum` (default 0.996; MMSelfSup's ViT
 * project config keeps the algorithm's 0.99), centring 0.9, student temperature 0.1.
 */
export function dinoModel(o: {
  baseMomentum?: number;
  inChannels: number;
  hiddenChannels: number;
  bottleneckChannels: number;
  outChannels: number;
  numCrops: number;
  teacherTemp: number;
  warmupTeacherTempEpochs: number;
}): Model<'DINO'> {
  const { inChannels, hiddenChannels, bottleneckChannels, outChannels, numCrops, teacherTemp, warmupTeacherTempEpochs } = o;
  return {
    type: 'DINO',
    baseMomentum: o.baseMomentum ?? 0.996,
    neck: { type: 'DINONeck', inChannels, hiddenChannels, bottleneckChannels, outChannels },
    head: {
      type: 'DINOHead',
      outChannels,
      numCrops,
      studentTemp: 0.1,
      centerMomentum: 0.9,
      warmupTeacherTemp: 0.04,
      teacherTemp,
      warmupTeacherTempEpochs,
    },
  };
}

/** MAE's encoder sizes (MMSelfSup's `MAEViT` arch names: b, l, h). */
export type MAEArch = 'base' | 'large' | 'huge';

/**
 * MMSelfSup's MAE model (`_base_/models/mae_vit-base-p16.py`) for a ViT of `arch` with `patchSize`
 * at `imgSize`: a `MAEViT` with mask ratio 0.75, the 8-block 512-wide decoder and the normalised-pixel
 * L2 head. Smaller settings (`embedDim`/`depth`/`numHeads`, `decoder`) size it for a CPU.
 */
export function maeModel(o: {
  arch?: MAEArch;
  patchSize?: number;
  imgSize?: number;
  vit?: { embedDim: number; depth: number; numHeads: number };
  decoder?: { embedDim: number; depth: number; numHeads: number };
  normPix?: boolean;
}): {
  type: 'MAE';
  backbone: Of<BackboneConfig, 'MAEViT'>;
  neck: Of<NeckConfig, 'MAEPretrainDecoder'>;
  head: Of<HeadConfig, 'MAEPretrainHead'>;
} {
  const patchSize = o.patchSize ?? 16;
  const imgSize = o.imgSize ?? 224;
  const grid = imgSize / patchSize;
  if (!Number.isInteger(grid)) throw new RangeError(`maeModel: imgSize ${imgSize} is not a multiple of patchSize ${patchSize}`);
  const widths: Record<MAEArch, number> = { base: 768, large: 1024, huge: 1280 };
  const embedDim = o.vit?.embedDim ?? widths[o.arch ?? 'base'];
  const decoder = o.decoder ?? { embedDim: 512, depth: 8, numHeads: 16 };
  return {
    type: 'MAE',
    backbone: {
      type: 'MAEViT',
      ...(o.vit ?? { arch: o.arch ?? 'base' }),
      patchSize,
      ...(imgSize !== 224 && { imgSize }),
      maskRatio: 0.75,
    },
    neck: {
      type: 'MAEPretrainDecoder',
      numPatches: grid * grid,
      patchSize,
      inChans: 3,
      embedDim,
      decoderEmbedDim: decoder.embedDim,
      decoderDepth: decoder.depth,
      decoderNumHeads: decoder.numHeads,
      mlpRatio: 4,
    },
    head: {
      type: 'MAEPretrainHead',
      normPix: o.normPix ?? true,
      patchSize,
      loss: { type: 'PixelReconstructionLoss', criterion: 'L2' },
    },
  };
}

/**
 * SimMIM: a `SimMIMLinearDecoder` from the backbone's `inChannels`-channel map at its total
 * `encoderStride`, and `SimMIMHead` with the L1 loss on the masked pixels of `patchSize`-px patches.
 */
export function simmimModel(o: { inChannels: number; encoderStride: number; patchSize: number }): Model<'SimMIM'> {
  return {
    type: 'SimMIM',
    neck: { type: 'SimMIMLinearDecoder', inChannels: o.inChannels, encoderStride: o.encoderStride },
    head: {
      type: 'SimMIMHead',
      patchSize: o.patchSize,
      loss: { type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 },
    },
  };
}

/**
 * MMSelfSup's PixMIM model: `maeModel(o)` regressing the image low-passed with an ideal circular
 * filter of `radius` frequency bins (40 at 224 px).
 */
export function pixmimModel(
  o: Parameters<typeof maeModel>[0] & { radius: number },
): Omit<Of<AlgorithmConfig, 'PixMIM'>, 'dataPreprocessor'> {
  const { radius, ...mae } = o;
  return {
    ...maeModel(mae),
    type: 'PixMIM',
    targetGenerator: { type: 'LowFreqTargetGenerator', radius, imgSize: o.imgSize ?? 224 },
  };
}

/**
 * mmpretrain's MFF model: `maeModel(o)` whose encoder is an `MFFViT` fusing the outputs of the
 * blocks `outIndices` (the 300-epoch recipe fuses 1, 3, 5, 7, 9, 11; the 800-epoch one 0, 2, 4, 6, 8, 11).
 */
export function mffModel(
  o: Parameters<typeof maeModel>[0] & { outIndices: number[] },
): Omit<Of<AlgorithmConfig, 'MFF'>, 'dataPreprocessor'> {
  const { outIndices, ...mae } = o;
  const { backbone, ...rest } = maeModel(mae);
  if (backbone.type !== 'MAEViT') throw new TypeError(`mffModel: expected maeModel to make an MAEViT, got ${backbone.type}`);
  return { ...rest, type: 'MFF', backbone: { ...backbone, type: 'MFFViT', outIndices } };
}

/**
 * MixMIM (MMSelfSup's `mixmim_mixmim-base_16xb128-coslr-300e_in1k.py` model): a MixMIM encoder of
 * `arch` (or the `encoder` sizes) on `imgSize` images cut into `patchSize`-px patches, the 512-wide decoder (8 blocks, 16 heads) over
 * the encoder's final grid at stride 32 (49 cells at 224 px), normalised-pixel L2 over every cell.
 */
export function mixmimModel(
  o: {
    arch?: 'base' | 'large' | 'huge';
    imgSize?: number;
    /** Default 4 (every MixMIM size). */
    patchSize?: number;
    encoder?: { embedDim: number; depths: number[]; numHeads: number[]; windowSize: number[] };
    decoder?: { embedDim: number; depth: number; numHeads: number };
  } = {},
): Omit<Of<AlgorithmConfig, 'MixMIM'>, 'dataPreprocessor'> {
  const imgSize = o.imgSize ?? 224;
  const sizes = { base: [128, 4], large: [192, 4], huge: [352, 4] } as const;
  const [width, stages] = o.encoder ? [o.encoder.embedDim, o.encoder.depths.length] : sizes[o.arch ?? 'base'];
  const patchSize = o.patchSize ?? 4;
  const stride = patchSize * 2 ** (stages - 1);
  const grid = imgSize / stride;
  if (!Number.isInteger(grid))
    throw new RangeError(`mixmimModel: imgSize ${imgSize} is not a multiple of the encoder stride ${stride}`);
  const decoder = o.decoder ?? { embedDim: 512, depth: 8, numHeads: 16 };
  return {
    type: 'MixMIM',
    backbone: {
      type: 'MixMIMTransformerPretrain',
      ...(o.encoder ?? { arch: o.arch ?? 'base' }),
      ...(imgSize !== 224 && { imgSize }),
      ...(patchSize !== 4 && { patchSize }),
      dropRate: 0,
      dropPathRate: 0,
    },
    neck: {
      type: 'MixMIMPretrainDecoder',
      numPatches: grid * grid,
      encoderStride: stride,
      embedDim: width * 2 ** (stages - 1),
      decoderEmbedDim: decoder.embedDim,
      decoderDepth: decoder.depth,
      decoderNumHeads: decoder.numHeads,
    },
    head: {
      type: 'MixMIMPretrainHead',
      normPix: true,
      patchSize: stride,
      loss: { type: 'PixelReconstructionLoss', criterion: 'L2' },
    },
  };
}

/**
 * What MMSelfSup's MixMIM recipe exempts from weight decay (`custom_keys` 'ln' and 'bias'): biases,
 * the encoder blocks' `ln1`/`ln2` and, under MMSelfSup's names, the decoder's LayerNorms — which
 * selfsup's decoder calls `norm1`/`norm2`/`decoder_norm`. The patch-embedding, merging and final
 * encoder norms (`…norm`, no "ln" in MMSelfSup's names either) keep their decay, as there.
 */
export const MIXMIM_NO_DECAY = ['ln', 'bias', 'norm1', 'norm2', 'decoder_norm'];

/**
 * MaskFeat (MMSelfSup's `maskfeat_vit-base-p16.py`): a MaskFeatViT of the named size, a linear map of
 * every token to its HOG target (trunc-normal 0.02 weights, zero bias), L2 on the masked patches;
 * HOG of 9 bins over `pool`-px cells (default 8) weighted by a `gaussianWindow` Gaussian (default 16),
 * 3·9·(patchSize/pool)² values per patch.
 */
export function maskFeatModel(o: {
  arch: 'tiny' | 'small' | 'base' | 'large';
  embedDim: number;
  patchSize: number;
  imgSize?: number;
  pool?: number;
  gaussianWindow?: number;
}): Of<AlgorithmConfig, 'MaskFeat'> {
  const { arch, embedDim, patchSize, imgSize, pool = 8, gaussianWindow = 16 } = o;
  const cells = patchSize / pool;
  return {
    type: 'MaskFeat',
    backbone: { type: 'MaskFeatViT', arch, ...(imgSize !== undefined && { imgSize }), patchSize },
    neck: {
      type: 'LinearNeck',
      inChannels: embedDim,
      outChannels: 3 * 9 * cells * cells,
      withAvgPool: false,
      initCfg: { type: 'TruncNormal', layer: 'Linear', std: 0.02, bias: 0 },
    },
    head: { type: 'MaskFeatPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
    targetGenerator: { type: 'HOGGenerator', nbins: 9, pool, gaussianWindow, patchSize },
  };
}

// ---------------------------------------------------------------- optimizers and schedules

/** SGD with momentum 0.9. */
export const sgd = (lr: number, weightDecay: number): OptimizerConfig => ({ type: 'SGD', lr, momentum: 0.9, weightDecay });

/** AdamW (Loshchilov & Hutter 2019); MAE's betas (0.9, 0.95) unless given. */
export const adamw = (lr: number, weightDecay: number, betas: [number, number] = [0.9, 0.95]): OptimizerConfig => ({
  type: 'AdamW',
  lr,
  betas,
  weightDecay,
});

/** LARS (You et al. 2017) with momentum 0.9. */
export const lars = (lr: number, weightDecay: number): OptimizerConfig => ({ type: 'LARS', lr, momentum: 0.9, weightDecay });

type Paramwise = NonNullable<z.input<typeof optimWrapperSchema>['paramwiseCfg']>;

/**
 * Parameters whose names contain one of `keys` get no weight decay and no LARS adaptation
 * (MMSelfSup's `paramwise_cfg=dict(custom_keys={'bn': dict(decay_mult=0, lars_exclude=True), …})`),
 * and `lrMult` when given.
 */
export function larsExclude(keys: string[], o: { lrMult?: number } = {}): Paramwise {
  const setting = { decayMult: 0, larsExclude: true, ...(o.lrMult !== undefined && { lrMult: o.lrMult }) };
  return { customKeys: Object.fromEntries(keys.map((k) => [k, { ...setting }])) };
}

/**
 * Parameters whose names contain one of `keys` get no weight decay (MMSelfSup's
 * `custom_keys={'bias': dict(decay_mult=0.), …}`).
 */
export function noDecay(keys: string[]): Paramwise {
  return { customKeys: Object.fromEntries(keys.map((k) => [k, { decayMult: 0 }])) };
}

/**
 * The parameters MAE-family recipes exempt from weight decay. MMSelfSup writes `ln` for its ViT's
 * LayerNorms (`layers.0.ln1`, `ln1`); selfsup's ViT and decoder carry timm's / the MAE release's
 * names (`blocks.0.norm1`, `norm`, `decoder_norm`), so the same parameters are `norm` here.
 */
export const MAE_NO_DECAY = ['norm', 'bias', 'pos_embed', 'mask_token', 'cls_token'];

/** How a cosine is stepped: per iteration (default) or once per epoch (MMEngine without `convert_to_iter_based`). */
interface CosineOptions {
  /** Final value (written only when given to `cosine`; default 0). */
  etaMin?: number;
  /** Step once per epoch instead of per iteration. */
  perEpoch?: boolean;
}
const stepping = (perEpoch: boolean | undefined) => (perEpoch ? {} : { convertToIterBased: true });

/** Cosine annealing over epochs [0, end), stepped per iteration unless `perEpoch`. */
export const cosine = (end: number, o: CosineOptions = {}): SchedulerConfig[] => [
  {
    type: 'CosineAnnealingLR',
    byEpoch: true,
    begin: 0,
    end,
    ...(o.etaMin !== undefined && { etaMin: o.etaMin }),
    ...stepping(o.perEpoch),
  },
];

/**
 * A linear warm-up from `startFactor` × lr over `warmup` epochs (stepped per iteration), then
 * cosine to `etaMin` at epoch `end` (per iteration unless `perEpoch`).
 */
export function warmupCosine(warmup: number, end: number, o: CosineOptions & { startFactor?: number } = {}): SchedulerConfig[] {
  const { startFactor = 1e-4, etaMin = 0 } = o;
  return [
    { type: 'LinearLR', startFactor, byEpoch: true, begin: 0, end: warmup, convertToIterBased: true },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: warmup, end, etaMin, ...stepping(o.perEpoch) },
  ];
}

/** An epoch-based loop of `maxEpochs`. */
export const epochs = (maxEpochs: number) => ({ type: 'EpochBasedTrainLoop' as const, maxEpochs });
