import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as torch from '@selfsup/torch';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { randomSplit } from '../../src/data/datasets/subset.js';
import { buildViews } from '../../src/data/register.js';
import { SimMIMMaskGenerator } from '../../src/data/transforms/masks.js';
import { MultiView } from '../../src/data/transforms/multi-view.js';
import {
  ColorJitter,
  RandomApply,
  RandomFlip,
  RandomGaussianBlur,
  RandomGrayscale,
  RandomResizedCrop,
  RandomSolarize,
  type Transform,
} from '../../src/data/transforms/random.js';
import { byolViews, simclrViews, simmimViews } from '../../src/engine/config/recipes.js';
import { maxAbsDiff } from '../helpers.js';
import { PIPELINE_STEPS, DATASETS, TRANSFORMS } from '../../src/data/registries.js';
import '../../src/builtins.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-register-'));

/** The message of what `fn` throws. */
function error(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new assert.AssertionError({ message: 'expected an error' });
}

test('bad pipeline configs are reported with their exact path', () => {
  const p = (steps: unknown[]) => error(() => buildViews(steps, 'train.pipeline'));
  assert.equal(
    p([{ type: 'RandomFlip' }, { type: 'RandomResizedCrop', size: 32, scal: [0.2, 1] }]),
    "train.pipeline.1.scal: unknown key; did you mean 'scale'?",
  );
  assert.equal(
    p([{ type: 'RandomResizedCrop', size: 32, scale: [0.9, 0.2] }]),
    'train.pipeline.0.scale: expected a range [min, max] with min ≤ max, got [0.9,0.2]',
  );
  assert.equal(
    p([{ type: 'RandomResizedCrop', size: 32, interpolation: 'cubic' }]),
    'train.pipeline.0.interpolation: expected one of "nearest", "bilinear", "bicubic", "lanczos", got "cubic"',
  );
  assert.equal(p([{ type: 'RandomFlip', prob: 1.5 }]), 'train.pipeline.0.prob: expected a probability in [0, 1], got 1.5');
  assert.match(
    p([{ type: 'RandomResizeCrop', size: 3 }]),
    /^train\.pipeline\.0\.type: unknown transform type 'RandomResizeCrop'; did you mean 'RandomResizedCrop'/,
  );
  assert.match(p([{ type: 'BEiTMaskGen', inputSize: 14 }]), /did you mean 'BEiTMaskGenerator'/);
  assert.equal(
    p([{ type: 'RandomApply', transforms: [{ type: 'ColorJitter', brightness: 0.4, hue: 0.7 }], prob: 0.8 }]),
    'train.pipeline.0.transforms.0.hue: expected a number in [0, 0.5] or [min, max] within [-0.5, 0.5], got 0.7',
  );
  assert.equal(
    p([{ type: 'RandomGaussianBlur', sigmaMin: 2, sigmaMax: 0.1 }]),
    'train.pipeline.0.sigmaMax: must be ≥ sigmaMin (2)',
  );
  assert.equal(p([{ type: 'Pad', padding: [1, 2, 3] }]), 'train.pipeline.0.padding: expected 1, 2 or 4 numbers, got [1,2,3]');
  assert.equal(
    p([{ type: 'BEiTMaskGenerator', inputSize: 4, numMaskingPatches: 20 }]),
    'train.pipeline.0: BEiTMaskGenerator: 20 patches exceed the 4×4 grid',
  );
  const mv = (cfg: unknown) => error(() => buildViews(cfg, 'train.pipeline'));
  assert.equal(
    mv({ type: 'MultiView', numViews: [2], transforms: [[{ type: 'RandomFlip', direction: 'diagonal' }]] }),
    'train.pipeline.transforms.0.0.direction: expected one of "horizontal", "vertical", got "diagonal"',
  );
  assert.equal(
    mv({ type: 'MultiView', numViews: [2, 6], transforms: [[{ type: 'RandomFlip' }]] }),
    'train.pipeline.numViews: MultiView: 1 pipelines but 2 view counts',
  );
  assert.deepEqual(mv({ type: 'MultiView', numView: 2, transforms: [] }).split('\n'), [
    'train.pipeline.numViews: expected a positive integer or a list of them, got nothing',
    'train.pipeline.transforms: expected a list of pipelines (lists of transform configs), got []',
    "train.pipeline.numView: unknown key; did you mean 'numViews'?",
  ]);
  assert.match(mv({ type: 'Compose' }), /^train\.pipeline: expected a list of transforms or \{ type: 'MultiView'/);
  assert.equal(
    error(() => DATASETS.build({ type: 'FashionMNIST', split: 'val' }, 'train.dataset')),
    'train.dataset.split: expected one of "train", "test", got "val"',
  );
  assert.match(
    error(() => DATASETS.build({ type: 'ImageFolder', root: join(dir, 'none') }, 'train.dataset')),
    /^train\.dataset: ImageFolder: cannot read .*none/,
  );
});

test('the recipe helpers build the hand-built pipelines on a fixed seed (SimCLR, BYOL, SimMIM)', () => {
  torch.tidy(() => {
    const img = torch.randint(0, 256, [3, 40, 36], { generator: new torch.Generator().manualSeed(1), dtype: 'uint8' });
    // The papers' pipelines as classes.
    const simclr = (): Transform[] => [
      new RandomResizedCrop(24, { scale: [0.08, 1] }),
      new RandomFlip(0.5),
      new RandomApply([new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })], 0.8),
      new RandomGrayscale(0.2),
      new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 0.5 }),
    ];
    const byol = (blur: number, solarize: number): Transform[] => [
      new RandomResizedCrop(24, { scale: [0.08, 1], interpolation: 'bicubic' }),
      new RandomFlip(0.5),
      new RandomApply([new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 })], 0.8),
      new RandomGrayscale(0.2),
      new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: blur }),
      new RandomSolarize(128, solarize),
    ];
    const simmim = [
      new RandomResizedCrop(64, { scale: [0.67, 1], ratio: [3 / 4, 4 / 3] }),
      new RandomFlip(0.5),
      new SimMIMMaskGenerator({ inputSize: 64, maskPatchSize: 32, modelPatchSize: 4, maskRatio: 0.6 }),
    ];
    const simclrCfg = simclrViews({ size: 24 });
    const cases: [unknown, MultiView][] = [
      [simclrCfg, new MultiView([simclr()], 2)],
      // `transforms` as one flat list of steps, `numViews` as a list.
      [{ ...simclrCfg, numViews: [2], transforms: simclrCfg.transforms[0] }, new MultiView([simclr()], 2)],
      [byolViews({ size: 24 }), new MultiView([byol(1, 0), byol(0.1, 0.2)], [1, 1])],
      // A plain list of steps: one view.
      [simmimViews({ size: 64 }).transforms[0], new MultiView([simmim], 1)],
    ];
    for (const [cfg, hand] of cases) {
      const built = buildViews(cfg);
      for (const idx of [0, 7, 13]) {
        const a = built.applyWithMasks(img, 4, 1, idx);
        const b = hand.applyWithMasks(img, 4, 1, idx);
        assert.equal(a.views.length, b.views.length);
        for (const [k, v] of a.views.entries()) assert.equal(maxAbsDiff(v, b.views[k]), 0, `view ${k}`);
        assert.deepEqual(
          a.masks.map((m) => Array.from(m.data)),
          b.masks.map((m) => Array.from(m.data)),
        );
      }
    }
    // Every registered transform and step carries a schema.
    for (const name of TRANSFORMS.list()) assert.ok(TRANSFORMS.description(name), name);
    assert.deepEqual(PIPELINE_STEPS.list(), [
      'BEiTMaskGenerator',
      'RandomPatchWithLabels',
      'RandomResizedCropAndInterpolationWithTwoPic',
      'RotationWithLabels',
      'SimMIMMaskGenerator',
    ]);
  });
});

/** An IDX file: magic 0x0000_08_nd, big-endian dims, bytes. */
function idx(shape: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 8;
  head[3] = shape.length;
  for (const [i, d] of shape.entries()) head.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([head, data]);
}

test('datasets from config: FashionMNIST with numSamples, seeded val split and class-balanced subsets', async () => {
  const root = join(dir, 'fmnist');
  mkdirSync(root);
  const n = 40;
  const images = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  for (const p of ['train', 't10k']) {
    writeFileSync(join(root, `${p}-images-idx3-ubyte.gz`), gzipSync(idx([n, 28, 28], images)));
    writeFileSync(join(root, `${p}-labels-idx1-ubyte`), idx([n], labels));
  }
  const first = DATASETS.build({ type: 'FashionMNIST', root, split: 'test', numSamples: 5 }, 'd');
  assert.equal(first.length, 5);
  assert.deepEqual(
    (await Promise.all([0, 1, 2, 3, 4].map((i) => first.get(i)))).map((s) => s.label),
    [0, 1, 2, 3, 4],
  );
  assert.equal(first.classes?.[9], 'Ankle boot');
  const val = DATASETS.build({ type: 'FashionMNIST', root, valSplit: { fraction: 0.25, part: 'val', seed: 3 } }, 'd');
  const train = DATASETS.build({ type: 'FashionMNIST', root, valSplit: { fraction: 0.25, part: 'train', seed: 3 } }, 'd');
  assert.deepEqual([train.length, val.length], [30, 10]);
  // The same parts as randomSplit (torch.utils.data.random_split) with that seed.
  const whole = new ArrayDataset('w', images, { height: 28, width: 28, channels: 1 }, Int32Array.from(labels));
  const [, refVal] = randomSplit(whole, [30, 10], 3);
  assert.deepEqual(Array.from(val.labels ?? []), Array.from(refVal.labels ?? []));
  const balanced = DATASETS.build({ type: 'FashionMNIST', root, samplesPerClass: 2, seed: 1 }, 'd');
  const counts = new Map<number, number>();
  for (const l of Array.from(balanced.labels ?? [])) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual([...counts.values()], new Array(10).fill(2));
  assert.equal(
    error(() => DATASETS.build({ type: 'FashionMNIST', root, numSamples: 41 }, 'train.dataset')),
    'train.dataset.numSamples: 41 samples asked of 40 (FashionMNIST:train(40 images 28×28×1, 10 classes))',
  );
  assert.equal(
    error(() => DATASETS.build({ type: 'FashionMNIST', root, valSplit: { fraction: 1.5, part: 'val' } }, 'train.dataset')),
    'train.dataset.valSplit.fraction: expected a fraction in (0, 1), got 1.5',
  );
});
