// The quality benchmark's CIFAR-10 hold-out as a dataset type, `CIFAR10HeldOut { part: 'train' |
// 'eval' | 'val' }`. A module of its own (loaded with importUserModules) so that the runner's
// loader worker threads load it too. Settings come from the environment, which workers inherit:
// QUALITY_ROOT (holds cifar10/train/<class>/*.jpg), QUALITY_CACHE (the decoded-uint8 cache dir),
// QUALITY_EVAL_PER_CLASS (kNN bank / linear-probe training images per class, default 1000).
import { join } from 'node:path';

const selfsup = await import('../packages/selfsup/dist/src/index.js');
const { ImageFolder } = await import('../packages/selfsup/dist/src/data/datasets/image-folder.js');
const { Subset } = await import('../packages/selfsup/dist/src/data/datasets/subset.js');
const { permutation } = await import('../packages/selfsup/dist/src/data/loader/samplers.js');
const { CachedDataset } = await import('../packages/selfsup/dist/src/data/datasets/cache.js');

const root = process.env.QUALITY_ROOT;
if (!root) throw new Error('QUALITY_ROOT is not set (the folder holding cifar10/train/<class>/*.jpg)');
const evalPerClass = Number(process.env.QUALITY_EVAL_PER_CLASS ?? 1000);
// Decoded once into a uint8 cache, so that every method and evaluation reads the same pixels
// without decoding 50,000 JPEGs again.
const source = ImageFolder.openSync(join(root, 'cifar10', 'train'));
const cached = await CachedDataset.open(source, process.env.QUALITY_CACHE ?? 'work_dirs/quality/cache');

// A class-balanced hold-out: 500 images of every class (seeded) for validation, the rest to train on.
const byClass = new Map();
for (const i of permutation(cached.length, 0)) {
  const c = cached.labels[i];
  byClass.set(c, [...(byClass.get(c) ?? []), i]);
}
const groups = [...byClass.values()];
const val = groups.flatMap((idx) => idx.slice(0, 500)).sort((a, b) => a - b);
const valSet = new Set(val);
const parts = {
  val,
  // The kNN bank and linear-probe training set: `evalPerClass` images of every class outside the hold-out.
  eval: groups.flatMap((idx) => idx.slice(500, 500 + evalPerClass)).sort((a, b) => a - b),
  train: [...Array(cached.length).keys()].filter((i) => !valSet.has(i)),
};

selfsup.DATASETS.register(
  selfsup.definePart({
    registry: selfsup.DATASETS,
    name: 'CIFAR10HeldOut',
    // `root` names the folder in configs and logs; the images come from QUALITY_ROOT, which it must match.
    schema: selfsup.z.strictObject({ part: selfsup.z.enum(['train', 'eval', 'val']), root: selfsup.z.string().optional() }),
    description: 'the CIFAR-10 train split with a seeded class-balanced hold-out',
    build: (o) => {
      if (o.root !== undefined && o.root !== join(root, 'cifar10', 'train'))
        throw new Error(`CIFAR10HeldOut: root ${o.root} is not QUALITY_ROOT's ${join(root, 'cifar10', 'train')}`);
      return new Subset(cached, parts[o.part]);
    },
  }),
);
