/**
 * The data layer's parts: every dataset (DATASET_PARTS), transform (TRANSFORM_PARTS) and
 * pipeline step that is not a plain transform (multi-output steps, mask generators:
 * PIPELINE_STEP_PARTS), each with a zod schema of its camelCase options; and
 * `buildViews`, which turns MMSelfSup's `{ type: 'MultiView', numViews, transforms }` (or a plain
 * list of steps) into a MultiView. Bad values are reported with their exact path
 * (`train.pipeline.0.scale: …`).
 */
import {
  bool,
  ConfigError,
  closest,
  nonNegInt,
  int,
  nonNegNum,
  num,
  numPair,
  posInt,
  posNum,
  prob,
  str,
  typed,
  validate,
  z,
} from '../core/schema.js';
import { definePart, type Part, type PartConfig, type TypedConfig } from '../core/registry.js';
import type { PipelineStepConfig } from '../part-configs.js';
import type { Dataset } from './datasets/base.js';
import { DATASETS, PIPELINE_STEPS, TRANSFORMS } from './registries.js';
import { cifarSync } from './datasets/cifar.js';
import { ImageArchive } from './datasets/image-archive.js';
import { ImageFolder } from './datasets/image-folder.js';
import { ImageList } from './datasets/image-list.js';
import { FASHION_MNIST_ROOT, fashionMnist, mnist } from './datasets/mnist.js';
import { STL10 } from './datasets/stl10.js';
import { classBalancedSubset, randomSplit, takeSamples } from './datasets/subset.js';
import { Normalize, Pad, ToTensor } from './transforms/basic.js';
import { RandomPatchWithLabels, RotationWithLabels } from './transforms/labels.js';
import { BEiTMaskGenerator, SimMIMMaskGenerator } from './transforms/masks.js';
import { MultiView } from './transforms/multi-view.js';
import { RandAugment } from './transforms/rand-augment.js';
import { RandomErasing } from './transforms/random-erasing.js';
import {
  CenterCrop,
  ColorJitter,
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
import { RandomRotation } from './transforms/rotation.js';
import type { MaskGenerator, MultiOutputTransform, PipelineStep } from './transforms/steps.js';
import { RandomResizedCropAndInterpolationWithTwoPic } from './transforms/two-pic.js';

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
const byte = () => int().refine((v) => v >= 0 && v <= 255, 'expected a byte (0–255)');
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

type SubsetOptions = z.output<z.ZodObject<typeof subsetShape>>;
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

/** A dataset part whose options extend the subset options (applied after opening). */
function datasetPart<const N extends string, S extends z.ZodRawShape>(
  name: N,
  shape: S,
  open: (o: z.output<z.ZodObject<S>>, path: string) => Dataset,
  description: string,
): Part<Dataset, z.ZodObject<S & typeof subsetShape, z.core.$strict>, N> {
  const schema = z.strictObject({ ...shape, ...subsetShape });
  return definePart({
    registry: DATASETS,
    name,
    schema,
    description,
    build: (o, path) => {
      // The schema is `shape` plus the subset options: `o` holds both.
      const options = o as z.output<z.ZodObject<S>> & SubsetOptions;
      return subsetOf(
        guard(path, () => open(options, path)),
        options,
        path,
      );
    },
  });
}

// ---------------------------------------------------------------- datasets

const trainTest = () => z.enum(['train', 'test']).optional();

/** The built-in datasets. */
export const DATASET_PARTS = [
  datasetPart(
    'ImageFolder',
    {
      root: str(),
      labels: z.enum(['auto', 'folders', 'none']).optional(),
      extensions: z.array(str()).optional(),
      channels: channels().optional(),
    },
    (o) => ImageFolder.openSync(o.root, o),
    'images in class sub-folders (labelled) or a folder of images (unlabeled), as torchvision',
  ),
  datasetPart(
    'ImageList',
    { annFile: str(), dataPrefix: str().optional(), channels: channels().optional() },
    (o) => ImageList.openSync(o.annFile, o),
    "MMSelfSup's list file: one `relative/path [label]` per line",
  ),
  datasetPart(
    'ImageArchive',
    {
      path: str(),
      labels: z.enum(['auto', 'none']).optional(),
      extensions: z.array(str()).optional(),
      channels: channels().optional(),
    },
    (o) => ImageArchive.open(o.path, o),
    'images inside a .tar / .tar.gz, class folders as labels',
  ),
  ...(
    [
      ['CIFAR10', 'cifar10'],
      ['CIFAR100', 'cifar100'],
    ] as const
  ).map(([name, variant]) =>
    datasetPart(
      name,
      { root: str(), split: trainTest() },
      (o) => cifarSync(variant, o.split ?? 'train', o.root),
      `${name}: the official binary or python archive, or its extracted folder`,
    ),
  ),
  datasetPart(
    'MNIST',
    { root: str(), split: trainTest() },
    (o) => mnist(o.split ?? 'train', o.root),
    'MNIST IDX files (gz or raw)',
  ),
  datasetPart(
    'FashionMNIST',
    { root: str().optional(), split: trainTest() },
    (o) => fashionMnist(o.split ?? 'train', o.root ?? FASHION_MNIST_ROOT),
    `Fashion-MNIST IDX files (default ${FASHION_MNIST_ROOT}, Debian's dataset-fashion-mnist)`,
  ),
  datasetPart(
    'STL10',
    { root: str(), split: z.enum(['train', 'test', 'unlabeled']).optional() },
    (o) => STL10.open(o.root, o.split ?? 'train'),
    'STL-10 binary (stl10_binary/): train, test or unlabeled',
  ),
];

// ---------------------------------------------------------------- transforms

/** A transform part; a constructor's complaint becomes a ConfigError at the transform's path. */
function transformPart<const N extends string, S extends z.ZodRawShape>(
  name: N,
  shape: S,
  make: (o: z.output<z.ZodObject<S, z.core.$strict>>, path: string) => Transform,
  description: string,
): Part<Transform, z.ZodObject<S, z.core.$strict>, N> {
  return definePart({
    registry: TRANSFORMS,
    name,
    schema: z.strictObject(shape),
    description,
    build: (o, path) => guard(path, () => make(o, path)),
  });
}

const backend = () => z.enum(['tensor', 'pillow']);

const factorRange = z.tuple([nonNegNum(), nonNegNum()], { error: 'expected a non-negative number or [min, max]' });
const hueError = 'expected a number in [0, 0.5] or [min, max] within [-0.5, 0.5]';
const hueValue = (lo: number) => z.number({ error: hueError }).min(lo, hueError).max(0.5, hueError);
const hueRange = z.tuple([hueValue(-0.5), hueValue(-0.5)], { error: hueError });
/** The built-in transforms but RandomApply. */
const PLAIN_TRANSFORM_PARTS = [
  transformPart(
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
  ),
  transformPart(
    'RandomFlip',
    { prob: prob().optional(), direction: z.enum(['horizontal', 'vertical']).optional() },
    (o) => new RandomFlip(o.prob ?? 0.5, o.direction ?? 'horizontal'),
    'flip with probability prob',
  ),
  transformPart(
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
  ),
  transformPart(
    'RandomGrayscale',
    { prob: prob().optional(), keepChannels: bool().optional(), backend: backend().optional() },
    (o) => new RandomGrayscale(o.prob ?? 0.1, o.keepChannels ?? true, o.backend ?? 'tensor'),
    "greyscale with probability prob (3 channels kept by default; backend 'pillow': PIL's convert('L'))",
  ),
  transformPart(
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
  ),
  transformPart(
    'RandomSolarize',
    { threshold: num().optional(), prob: prob().optional() },
    (o) => new RandomSolarize(o.threshold ?? 128, o.prob ?? 0.5),
    'inverts pixels ≥ threshold with probability prob (BYOL)',
  ),
  transformPart(
    'Resize',
    { size: size(), interpolation: interpolation().optional(), antialias: bool().optional(), maxSize: posInt().optional() },
    (o) => new Resize(o.size, o),
    'resize to [h, w], or the shorter edge to size',
  ),
  transformPart('CenterCrop', { size: size() }, (o) => new CenterCrop(o.size), 'the central window'),
  transformPart(
    'RandomCrop',
    {
      size: size(),
      padding: nonNegInt().optional(),
      paddingMode: z.enum(['constant', 'reflect', 'replicate']).optional(),
      padVal: num().optional(),
    },
    (o) => new RandomCrop(o.size, o),
    'pads, then a random window of size',
  ),
  transformPart(
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
  ),
  transformPart(
    'RandomRotation',
    {
      degrees: z.union([nonNegNum(), numPair().refine(([a, b]) => a <= b, 'expected a range [min, max] with min ≤ max')], {
        error: 'expected a non-negative number or a range [min, max]',
      }),
      interpolation: z.enum(['nearest', 'bilinear']).optional(),
      expand: bool().optional(),
      center: numPair().optional(),
      fill: z.union([num(), z.array(num()).min(1)], { error: 'expected a number or one per channel' }).optional(),
    },
    (o) => new RandomRotation(o),
    "rotation by an angle ~ U(degrees) (torchvision's tensor rotate; a number d means [−d, d])",
  ),
  transformPart(
    'RandAugment',
    {
      policies: z.literal('timm_increasing', { error: "expected 'timm_increasing'" }).optional(),
      numPolicies: posInt(),
      magnitudeLevel: nonNegNum(),
      magnitudeStd: z.union([nonNegNum(), z.literal('inf')], { error: "expected a non-negative number or 'inf'" }).optional(),
      totalLevel: posNum().optional(),
      prob: prob().optional(),
      hparams: z
        .strictObject({
          padVal: z.union([byte(), z.tuple([byte(), byte(), byte()])], { error: 'expected a byte or three' }).optional(),
          interpolation: z.enum(['nearest', 'bilinear', 'bicubic']).optional(),
        })
        .optional(),
    },
    (o) => new RandAugment(o),
    "RandAugment with timm's increasing ops on Pillow's arithmetic (MAE fine-tuning: numPolicies 2, magnitudeLevel 9, magnitudeStd 0.5)",
  ),
  transformPart(
    'RandomErasing',
    {
      eraseProb: prob().optional(),
      minAreaRatio: prob().optional(),
      maxAreaRatio: prob().optional(),
      aspectRange: z.union([posNum(), range()], { error: 'expected a positive number or a range [min, max]' }).optional(),
      mode: z.enum(['const', 'rand']).optional(),
      fillColor: z.union([num(), z.array(num()).min(1)], { error: 'expected a number or one per channel' }).optional(),
      fillStd: z.union([nonNegNum(), z.array(nonNegNum()).min(1)], { error: 'expected a number or one per channel' }).optional(),
    },
    (o) => new RandomErasing(o),
    "mmpretrain's random erasing: a rectangle filled with a colour, random bytes, or N(fillColor, fillStd²) noise",
  ),
  transformPart('ToTensor', {}, () => new ToTensor(), 'uint8 [0, 255] → float [0, 1]'),
  transformPart(
    'Normalize',
    {
      mean: z.array(num(), { error: 'expected a list of numbers' }).min(1),
      std: z.array(posNum(), { error: 'expected a list of positive numbers' }).min(1),
    },
    (o) => new Normalize(o.mean, o.std),
    '(x − mean) / std per channel on a float image',
  ),
];

/** A transform inside RandomApply: a built-in one, or a nested RandomApply (typed loosely: its own options are not spelled out). */
type InnerTransformConfig = PartConfig<(typeof PLAIN_TRANSFORM_PARTS)[number]> | { type: 'RandomApply'; [key: string]: unknown };

/** The built-in transforms. */
export const TRANSFORM_PARTS = [
  ...PLAIN_TRANSFORM_PARTS,
  transformPart(
    'RandomApply',
    {
      transforms: z.array(typed<InnerTransformConfig>(), { error: 'expected a list of transform configs' }),
      prob: prob().optional(),
    },
    (o, path) =>
      new RandomApply(
        o.transforms.map((t, i) => TRANSFORMS.build(t, `${path}.transforms.${i}`)),
        o.prob ?? 0.5,
      ),
    'applies the listed transforms with probability prob',
  ),
];

// ---------------------------------------------------------------- multi-output steps and masks

/** A multi-output step or mask generator part. */
function stepPart<const N extends string, S extends z.ZodRawShape>(
  name: N,
  shape: S,
  make: (o: z.output<z.ZodObject<S, z.core.$strict>>, path: string) => MultiOutputTransform | MaskGenerator,
  description: string,
): Part<MultiOutputTransform | MaskGenerator, z.ZodObject<S, z.core.$strict>, N> {
  return definePart({
    registry: PIPELINE_STEPS,
    name,
    schema: z.strictObject(shape),
    description,
    build: (o, path) => guard(path, () => make(o, path)),
  });
}

/** The built-in multi-output steps and mask generators. */
export const PIPELINE_STEP_PARTS = [
  stepPart(
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
  ),
  stepPart(
    'RandomPatchWithLabels',
    { gridSize: posInt().optional(), jitter: nonNegInt().optional() },
    (o) => new RandomPatchWithLabels(o),
    'RelativeLoc: centre patch + 8 neighbours (labels 0–7) from a 3×3 grid',
  ),
  stepPart('RotationWithLabels', {}, () => new RotationWithLabels(), 'RotationPred: the image at 0/90/180/270° (labels 0–3)'),
  stepPart(
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
  ),
  stepPart(
    'SimMIMMaskGenerator',
    {
      inputSize: posInt().optional(),
      maskPatchSize: posInt().optional(),
      modelPatchSize: posInt().optional(),
      maskRatio: prob().optional(),
    },
    (o) => new SimMIMMaskGenerator(o),
    'SimMIM random block mask',
  ),
];

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

/** `MultiView`'s options; each step is checked by its registry when built (statically: any built-in step). */
export const multiViewSchema = z.strictObject({
  numViews: z.union([posInt(), z.array(posInt()).min(1)], { error: 'expected a positive integer or a list of them' }),
  transforms: z
    .array(z.unknown(), { error: 'expected a list of pipelines (lists of transform configs)' })
    .min(1) as unknown as z.ZodType<PipelineStepConfig[][] | PipelineStepConfig[], PipelineStepConfig[][] | PipelineStepConfig[]>,
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
  const { type: _type, ...options } = cfg as TypedConfig;
  const o = validate(multiViewSchema, options, path);
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
