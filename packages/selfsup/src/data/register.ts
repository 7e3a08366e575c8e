/**
 * Config registrations of the data layer (import for its side effect): every dataset in DATASETS
 * and every transform in TRANSFORMS with a zod schema of its camelCase options, the pipeline steps
 * that are not plain transforms (multi-output steps, mask generators) in PIPELINE_STEPS, and
 * `buildViews`, which turns MMSelfSup's `{ type: 'MultiView', numViews, transforms }` (or a plain
 * list of steps) into a MultiView. Bad values are reported with their exact path
 * (`train.pipeline.0.scale: …`).
 */
import {
  bool,
  ConfigError,
  closest,
  nonNegInt,
  nonNegNum,
  num,
  posInt,
  posNum,
  prob,
  str,
  typed,
  validate,
  z,
} from '../engine/config/schema.js';
import { configOptions, DATASETS, Registry, TRANSFORMS, type TypedConfig } from '../registry.js';
import type { Dataset } from './datasets/base.js';
import { cifarSync } from './datasets/cifar.js';
import { ImageArchive } from './datasets/image-archive.js';
import { ImageFolder } from './datasets/image-folder.js';
import { ImageList } from './datasets/image-list.js';
import { FASHION_MNIST_ROOT, fashionMnist, mnist } from './datasets/mnist.js';
import { STL10 } from './datasets/stl10.js';
import { classBalancedSubset, randomSplit, takeSamples } from './datasets/subset.js';
import { Normalize, Pad, ToTensor } from './transforms/basic.js';
import type { Interpolation, PaddingMode, ImageBackend } from './transforms/functional.js';
import { RandomPatchWithLabels, RotationWithLabels } from './transforms/labels.js';
import { BEiTMaskGenerator, SimMIMMaskGenerator } from './transforms/masks.js';
import { MultiView } from './transforms/pipelines.js';
import {
  CenterCrop,
  ColorJitter,
  type ColorJitterOptions,
  RandomApply,
  RandomCrop,
  RandomFlip,
  RandomGaussianBlur,
  RandomGrayscale,
  RandomResizedCrop,
  RandomSolarize,
  Resize,
  type Transform,
} from './transforms/random.js';
import type { MaskGenerator, MultiOutputTransform, PipelineStep } from './transforms/steps.js';
import { RandomResizedCropAndInterpolationWithTwoPic } from './transforms/two-pic.js';

/** Pipeline steps that are not one-image-in, one-out transforms: multi-output steps and mask generators. */
export const PIPELINE_STEPS = new Registry<MultiOutputTransform | MaskGenerator>('pipeline steps');

/** Runs a builder, turning a constructor's or loader's error into a ConfigError at `path`. */
function guard<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(path, (e as Error).message);
  }
}

// ---------------------------------------------------------------- schemas

const size = () =>
  z.union([posInt(), z.tuple([posInt(), posInt()])], { error: 'expected a size: a positive integer or [height, width]' });
const range = (what: (() => z.ZodType<number>) | undefined = posNum) =>
  z
    .tuple([what(), what()], { error: 'expected a range [min, max]' })
    .refine(([a, b]) => a <= b, 'expected a range [min, max] with min ≤ max');
const interpolation = () => z.enum(['nearest', 'bilinear', 'bicubic', 'lanczos']);
const channels = () => z.union([z.literal(1), z.literal(3)], { error: 'expected 1 or 3 channels' });
const fraction = () =>
  z.number({ error: 'expected a fraction in (0, 1)' }).refine((v) => v > 0 && v < 1, 'expected a fraction in (0, 1)');

/** Subset options every dataset accepts (applied in this order: valSplit, samplesPerClass, numSamples). */
const subsetShape = {
  /** Carve a seeded validation part off (`torch.utils.data.random_split` order) and keep one part. */
  valSplit: z.strictObject({ fraction: fraction(), part: z.enum(['train', 'val']), seed: nonNegInt().optional() }).optional(),
  /** A class-balanced subset: this many random samples of every class. */
  samplesPerClass: posInt().optional(),
  /** The first `numSamples` samples, or random ones when `seed` is given (MMSelfSup's `num_samples`). */
  numSamples: posInt().optional(),
  /** Seed of `samplesPerClass` (default 0) and of a random `numSamples`. */
  seed: nonNegInt().optional(),
};

interface SubsetOptions {
  valSplit?: { fraction: number; part: 'train' | 'val'; seed?: number };
  samplesPerClass?: number;
  numSamples?: number;
  seed?: number;
}

function subsetOf(ds: Dataset, o: SubsetOptions, path: string): Dataset {
  let out = ds;
  if (o.valSplit) {
    const nVal = Math.round(out.length * o.valSplit.fraction);
    const [train, val] = randomSplit(out, [out.length - nVal, nVal], o.valSplit.seed ?? 0);
    out = o.valSplit.part === 'val' ? val : train;
  }
  if (o.samplesPerClass !== undefined) {
    if (!out.labels) throw new ConfigError(`${path}.samplesPerClass`, `${ds.describe()} is unlabeled`);
    out = classBalancedSubset(out, o.samplesPerClass, o.seed ?? 0);
  }
  if (o.numSamples !== undefined) {
    if (o.numSamples > out.length)
      throw new ConfigError(`${path}.numSamples`, `${o.numSamples} samples asked of ${out.length} (${ds.describe()})`);
    out = takeSamples(out, o.numSamples, o.seed);
  }
  return out;
}

/** Registers a dataset whose options extend the subset options. */
function dataset<O>(name: string, shape: z.ZodRawShape, open: (o: O, path: string) => Dataset, description: string): void {
  DATASETS.registerIfAbsent(
    name,
    (cfg, path) => {
      const o = configOptions<O & SubsetOptions>(cfg);
      return subsetOf(
        guard(path, () => open(o, path)),
        o,
        path,
      );
    },
    { schema: z.strictObject({ ...shape, ...subsetShape }), description },
  );
}

// ---------------------------------------------------------------- datasets

const trainTest = () => z.enum(['train', 'test']).optional();

dataset<{ root: string; labels?: 'auto' | 'folders' | 'none'; extensions?: string[]; channels?: 1 | 3 }>(
  'ImageFolder',
  {
    root: str(),
    labels: z.enum(['auto', 'folders', 'none']).optional(),
    extensions: z.array(str()).optional(),
    channels: channels().optional(),
  },
  (o) => ImageFolder.openSync(o.root, o),
  'images in class sub-folders (labelled) or a folder of images (unlabeled), as torchvision',
);

dataset<{ annFile: string; dataPrefix?: string; channels?: 1 | 3 }>(
  'ImageList',
  { annFile: str(), dataPrefix: str().optional(), channels: channels().optional() },
  (o) => ImageList.openSync(o.annFile, o),
  "MMSelfSup's list file: one `relative/path [label]` per line",
);

dataset<{ path: string; labels?: 'auto' | 'none'; extensions?: string[]; channels?: 1 | 3 }>(
  'ImageArchive',
  {
    path: str(),
    labels: z.enum(['auto', 'none']).optional(),
    extensions: z.array(str()).optional(),
    channels: channels().optional(),
  },
  (o) => ImageArchive.open(o.path, o),
  'images inside a .tar / .tar.gz, class folders as labels',
);

for (const [name, variant] of [
  ['CIFAR10', 'cifar10'],
  ['CIFAR100', 'cifar100'],
] as const) {
  dataset<{ root: string; split?: 'train' | 'test' }>(
    name,
    { root: str(), split: trainTest() },
    (o) => cifarSync(variant, o.split ?? 'train', o.root),
    `${name}: the official binary or python archive, or its extracted folder`,
  );
}

dataset<{ root: string; split?: 'train' | 'test' }>(
  'MNIST',
  { root: str(), split: trainTest() },
  (o) => mnist(o.split ?? 'train', o.root),
  'MNIST IDX files (gz or raw)',
);

dataset<{ root?: string; split?: 'train' | 'test' }>(
  'FashionMNIST',
  { root: str().optional(), split: trainTest() },
  (o) => fashionMnist(o.split ?? 'train', o.root ?? FASHION_MNIST_ROOT),
  `Fashion-MNIST IDX files (default ${FASHION_MNIST_ROOT}, Debian's dataset-fashion-mnist)`,
);

dataset<{ root: string; split?: 'train' | 'test' | 'unlabeled' }>(
  'STL10',
  { root: str(), split: z.enum(['train', 'test', 'unlabeled']).optional() },
  (o) => STL10.open(o.root, o.split ?? 'train'),
  'STL-10 binary (stl10_binary/): train, test or unlabeled',
);

// ---------------------------------------------------------------- transforms

function transform<O>(name: string, shape: z.ZodRawShape, make: (o: O, path: string) => Transform, description: string): void {
  TRANSFORMS.registerIfAbsent(name, (cfg, path) => guard(path, () => make(configOptions<O>(cfg), path)), {
    schema: z.strictObject(shape),
    description,
  });
}

type Size = number | [number, number];
const backend = () => z.enum(['tensor', 'pillow']);

transform<{
  size: Size;
  scale?: [number, number];
  ratio?: [number, number];
  interpolation?: Interpolation;
  antialias?: boolean;
  maxAttempts?: number;
  backend?: ImageBackend;
}>(
  'RandomResizedCrop',
  {
    size: size(),
    scale: range().optional(),
    ratio: range().optional(),
    interpolation: interpolation().optional(),
    antialias: bool().optional(),
    maxAttempts: posInt().optional(),
    backend: backend().optional(),
  },
  (o) => new RandomResizedCrop(o.size, o),
  "Inception crop: area ~ U(scale), log-aspect ~ U(log ratio), resized to size (backend 'pillow': torchvision's PIL result)",
);

transform<{ prob?: number; direction?: 'horizontal' | 'vertical' }>(
  'RandomFlip',
  { prob: prob().optional(), direction: z.enum(['horizontal', 'vertical']).optional() },
  (o) => new RandomFlip(o.prob ?? 0.5, o.direction ?? 'horizontal'),
  'flip with probability prob',
);

const factorRange = z.tuple([nonNegNum(), nonNegNum()], { error: 'expected a non-negative number or [min, max]' });
const hueError = 'expected a number in [0, 0.5] or [min, max] within [-0.5, 0.5]';
const hueValue = (lo: number) => z.number({ error: hueError }).min(lo, hueError).max(0.5, hueError);
const hueRange = z.tuple([hueValue(-0.5), hueValue(-0.5)], { error: hueError });
transform<ColorJitterOptions>(
  'ColorJitter',
  {
    brightness: z.union([nonNegNum(), factorRange]).optional(),
    contrast: z.union([nonNegNum(), factorRange]).optional(),
    saturation: z.union([nonNegNum(), factorRange]).optional(),
    hue: z.union([hueValue(0), hueRange], { error: hueError }).optional(),
    backend: backend().optional(),
  },
  (o) => new ColorJitter(o),
  "torchvision's ColorJitter: brightness, contrast, saturation, hue in a random order (backend 'pillow': its PIL result)",
);

transform<{ transforms: TypedConfig[]; prob?: number }>(
  'RandomApply',
  { transforms: z.array(typed(), { error: 'expected a list of transform configs' }), prob: prob().optional() },
  (o, path) =>
    new RandomApply(
      o.transforms.map((t, i) => TRANSFORMS.build(t, `${path}.transforms.${i}`)),
      o.prob ?? 0.5,
    ),
  'applies the listed transforms with probability prob',
);

transform<{ prob?: number; keepChannels?: boolean; backend?: ImageBackend }>(
  'RandomGrayscale',
  { prob: prob().optional(), keepChannels: bool().optional(), backend: backend().optional() },
  (o) => new RandomGrayscale(o.prob ?? 0.1, o.keepChannels ?? true, o.backend ?? 'tensor'),
  "greyscale with probability prob (3 channels kept by default; backend 'pillow': PIL's convert('L'))",
);

transform<{ sigmaMin: number; sigmaMax: number; prob?: number; kernelSize?: number; backend?: ImageBackend }>(
  'RandomGaussianBlur',
  {
    sigmaMin: posNum(),
    sigmaMax: posNum(),
    prob: prob().optional(),
    kernelSize: posInt()
      .refine((k) => k % 2 === 1, 'expected an odd kernel size')
      .optional(),
    backend: backend().optional(),
  },
  (o, path) => {
    if (o.sigmaMin > o.sigmaMax) throw new ConfigError(`${path}.sigmaMax`, `must be ≥ sigmaMin (${o.sigmaMin})`);
    if (o.backend === 'pillow' && o.kernelSize !== undefined)
      throw new ConfigError(`${path}.kernelSize`, "backend 'pillow' (PIL's GaussianBlur) has no kernel size");
    return new RandomGaussianBlur(o);
  },
  "Gaussian blur with σ ~ U[sigmaMin, sigmaMax] (SimCLR; backend 'pillow': PIL's GaussianBlur(radius=σ), MMSelfSup's)",
);

transform<{ threshold?: number; prob?: number }>(
  'RandomSolarize',
  { threshold: num().optional(), prob: prob().optional() },
  (o) => new RandomSolarize(o.threshold ?? 128, o.prob ?? 0.5),
  'inverts pixels ≥ threshold with probability prob (BYOL)',
);

transform<{ size: Size; interpolation?: Interpolation; antialias?: boolean; maxSize?: number }>(
  'Resize',
  { size: size(), interpolation: interpolation().optional(), antialias: bool().optional(), maxSize: posInt().optional() },
  (o) => new Resize(o.size, o),
  'resize to [h, w], or the shorter edge to size',
);

transform<{ size: Size }>('CenterCrop', { size: size() }, (o) => new CenterCrop(o.size), 'the central window');

transform<{ size: Size; padding?: number; paddingMode?: 'constant' | 'reflect' | 'replicate'; padVal?: number }>(
  'RandomCrop',
  {
    size: size(),
    padding: nonNegInt().optional(),
    paddingMode: z.enum(['constant', 'reflect', 'replicate']).optional(),
    padVal: num().optional(),
  },
  (o) => new RandomCrop(o.size, o),
  'pads, then a random window of size',
);

transform<{ padding: number | number[]; fill?: number; paddingMode?: PaddingMode }>(
  'Pad',
  {
    padding: z.union(
      [nonNegInt(), z.array(nonNegInt()).refine((p) => [1, 2, 4].includes(p.length), 'expected 1, 2 or 4 numbers')],
      {
        error: 'expected a non-negative integer or a list of 1, 2 or 4 of them',
      },
    ),
    fill: num().optional(),
    paddingMode: z.enum(['constant', 'edge', 'reflect', 'symmetric']).optional(),
  },
  (o) => new Pad(o.padding, o),
  "torchvision's Pad (constant, edge, reflect, symmetric)",
);

transform<Record<string, never>>('ToTensor', {}, () => new ToTensor(), 'uint8 [0, 255] → float [0, 1]');

transform<{ mean: number[]; std: number[] }>(
  'Normalize',
  {
    mean: z.array(num(), { error: 'expected a list of numbers' }).min(1),
    std: z.array(posNum(), { error: 'expected a list of positive numbers' }).min(1),
  },
  (o) => new Normalize(o.mean, o.std),
  '(x − mean) / std per channel on a float image',
);

// ---------------------------------------------------------------- multi-output steps and masks

function step<O>(
  name: string,
  shape: z.ZodRawShape,
  make: (o: O, path: string) => MultiOutputTransform | MaskGenerator,
  description: string,
): void {
  PIPELINE_STEPS.registerIfAbsent(name, (cfg, path) => guard(path, () => make(configOptions<O>(cfg), path)), {
    schema: z.strictObject(shape),
    description,
  });
}

step<{
  size: Size;
  secondSize?: Size;
  scale?: [number, number];
  ratio?: [number, number];
  interpolation?: Interpolation | 'random';
  secondInterpolation?: Interpolation;
  antialias?: boolean;
}>(
  'RandomResizedCropAndInterpolationWithTwoPic',
  {
    size: size(),
    secondSize: size().optional(),
    scale: range().optional(),
    ratio: range().optional(),
    interpolation: z.enum(['nearest', 'bilinear', 'bicubic', 'lanczos', 'random']).optional(),
    secondInterpolation: interpolation().optional(),
    antialias: bool().optional(),
  },
  (o) => new RandomResizedCropAndInterpolationWithTwoPic(o.size, o),
  "BEiT: one crop resized to size and to secondSize (the tokenizer's view)",
);

step<{ gridSize?: number; jitter?: number }>(
  'RandomPatchWithLabels',
  { gridSize: posInt().optional(), jitter: nonNegInt().optional() },
  (o) => new RandomPatchWithLabels(o),
  'RelativeLoc: centre patch + 8 neighbours (labels 0–7) from a 3×3 grid',
);

step<Record<string, never>>(
  'RotationWithLabels',
  {},
  () => new RotationWithLabels(),
  'RotationPred: the image at 0/90/180/270° (labels 0–3)',
);

step<{
  inputSize: Size;
  numMaskingPatches: number;
  minNumPatches?: number;
  maxNumPatches?: number;
  minAspect?: number;
  maxAspect?: number;
}>(
  'BEiTMaskGenerator',
  {
    inputSize: size(),
    numMaskingPatches: posInt(),
    minNumPatches: posInt().optional(),
    maxNumPatches: posInt().optional(),
    minAspect: posNum().optional(),
    maxAspect: posNum().optional(),
  },
  (o) => new BEiTMaskGenerator(o.inputSize, o.numMaskingPatches, o),
  'BEiT block-wise patch mask',
);

step<{ inputSize?: number; maskPatchSize?: number; modelPatchSize?: number; maskRatio?: number }>(
  'SimMIMMaskGenerator',
  {
    inputSize: posInt().optional(),
    maskPatchSize: posInt().optional(),
    modelPatchSize: posInt().optional(),
    maskRatio: prob().optional(),
  },
  (o) => new SimMIMMaskGenerator(o),
  'SimMIM random block mask',
);

// ---------------------------------------------------------------- views

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Builds one pipeline entry: a transform, a multi-output step or a mask generator. */
export function buildStep(cfg: unknown, path: string): PipelineStep {
  if (isObject(cfg) && typeof cfg.type === 'string' && !TRANSFORMS.has(cfg.type)) {
    if (PIPELINE_STEPS.has(cfg.type)) return PIPELINE_STEPS.build(cfg, path);
    const near = closest(cfg.type, [...TRANSFORMS.list(), ...PIPELINE_STEPS.list()]);
    throw new ConfigError(
      `${path}.type`,
      `unknown transform type '${cfg.type}'; did you mean ${near.map((n) => `'${n}'`).join(', ')}?`,
    );
  }
  return TRANSFORMS.build(cfg, path);
}

/** Builds a list of pipeline entries (`path.0`, `path.1`, …). */
export function buildPipeline(cfg: unknown, path: string): PipelineStep[] {
  if (!Array.isArray(cfg)) throw new ConfigError(path, `expected a list of transform configs, got ${JSON.stringify(cfg)}`);
  return cfg.map((c, i) => buildStep(c, `${path}.${i}`));
}

const multiViewSchema = z.strictObject({
  numViews: z.union([posInt(), z.array(posInt()).min(1)], { error: 'expected a positive integer or a list of them' }),
  transforms: z.array(z.unknown(), { error: 'expected a list of pipelines (lists of transform configs)' }).min(1),
});

/**
 * The views of a dataset from config: MMSelfSup's `{ type: 'MultiView', numViews: [2], transforms:
 * [[…]] }` (pipeline i applied numViews[i] times; `transforms` may also be one flat list of steps),
 * or a plain list of steps (one view).
 */
export function buildViews(cfg: unknown, path = 'pipeline'): MultiView {
  if (Array.isArray(cfg)) return new MultiView([buildPipeline(cfg, path)], 1);
  if (!isObject(cfg) || cfg.type !== 'MultiView')
    throw new ConfigError(
      path,
      `expected a list of transforms or { type: 'MultiView', numViews, transforms }, got ${JSON.stringify(cfg)}`,
    );
  const o = validate(multiViewSchema, configOptions(cfg as TypedConfig), path);
  const flat = o.transforms.every((t) => !Array.isArray(t));
  if (!flat && !o.transforms.every((t) => Array.isArray(t)))
    throw new ConfigError(
      `${path}.transforms`,
      'expected either a list of pipelines (lists) or one list of transforms, not a mix',
    );
  const pipelines = flat
    ? [buildPipeline(o.transforms, `${path}.transforms`)]
    : o.transforms.map((p, i) => buildPipeline(p, `${path}.transforms.${i}`));
  return guard(`${path}.numViews`, () => new MultiView(pipelines, o.numViews));
}
