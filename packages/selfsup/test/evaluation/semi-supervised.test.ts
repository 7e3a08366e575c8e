import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { DataLoader } from '../../src/data/loader/loader.js';
import { ImageClassifier } from '../../src/evaluation/classifier.js';
import { buildFineTuneOptimizer, fineTune, fineTuneParamGroups } from '../../src/evaluation/fine-tune.js';
import { labelFractionSubset, semiSupervisedRecipe } from '../../src/evaluation/semi-supervised.js';
import { ResNet } from '../../src/models/backbones/resnet.js';

const NORM = { mean: [127.5, 127.5, 127.5], std: [64, 64, 64] };

function dataset(labels: number[]): ArrayDataset {
  const n = labels.length;
  const images = new Uint8Array(n * 8 * 8 * 3);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + (labels[Math.floor(i / 192)] ?? 0) * 90) % 256;
  return new ArrayDataset('toy', images, { height: 8, width: 8, channels: 3 }, Int32Array.from(labels), undefined);
}

test('labelFractionSubset: round(fraction · n_c) of every class (at least 1), seeded, in dataset order', () => {
  // Classes of 100, 30 and 4 samples.
  const labels = [...Array(100).fill(0), ...Array(30).fill(1), ...Array(4).fill(2)];
  const ds = dataset(labels);
  for (const [f, want] of [
    [0.1, [10, 3, 1]],
    [0.01, [1, 1, 1]],
    [0.5, [50, 15, 2]],
  ] as const) {
    const s = labelFractionSubset(ds, f, 3);
    const counts = [0, 0, 0];
    for (const i of s.indices) counts[labels[i]]++;
    assert.deepEqual(counts, want, `fraction ${f}`);
    assert.deepEqual(
      s.indices,
      [...s.indices].sort((a, b) => a - b),
    );
    assert.deepEqual(labelFractionSubset(ds, f, 3).indices, s.indices, 'same seed, same subset');
  }
  assert.notDeepEqual(labelFractionSubset(ds, 0.1, 3).indices, labelFractionSubset(ds, 0.1, 4).indices);
  assert.throws(() => labelFractionSubset(ds, 0), /fraction must be in \(0, 1\]/);
});

test("semiSupervisedRecipe: MMSelfSup's imagenet_1percent / 10percent settings", () => {
  const one = semiSupervisedRecipe(1);
  assert.deepEqual(
    [one.epochs, one.optimizer, one.lr, one.headLrMult, one.momentum, one.weightDecay, one.batchSize],
    [20, 'sgd', 0.1, 1, 0.9, 5e-4, 256],
  );
  assert.deepEqual(one.multiStep, { milestones: [12, 16], gamma: 0.2 });
  assert.equal(semiSupervisedRecipe(10).weightDecay, 1e-4);
});

test('fineTune with headLrMult and multiStep: the head at lr × mult, the lr × gamma at each milestone epoch', async () => {
  torch.manualSeed(0);
  const backbone = new ResNet({ depth: 18, widthMultiplier: 0.125, cifarStem: true });
  const model = new ImageClassifier(backbone, { ...NORM, numClasses: 2 });
  const groups = fineTuneParamGroups(model, {
    optimizer: 'sgd',
    lr: 0.01,
    headLrMult: 10,
    decayNormAndBias: true,
    weightDecay: 1e-4,
  });
  assert.deepEqual(
    groups.map((g) => [g.groupName, g.lr, g.weightDecay]),
    [
      ['decay', 0.01, 1e-4],
      ['head_decay', 0.1, 1e-4],
    ],
  );
  assert.deepEqual(groups[1].paramNames, ['head.weight', 'head.bias']);
  const opt = buildFineTuneOptimizer(model, { optimizer: 'sgd', lr: 0.01, headLrMult: 10 });
  assert.deepEqual(
    opt.paramGroups.map((g) => opt.getHyper(opt.paramGroups.indexOf(g), 'lr')),
    [0.01, 0.01, 0.1, 0.1],
  );
  opt.dispose();
  model.head.dispose();
  assert.throws(() => fineTuneParamGroups(model, { headLrMult: 0 }), /headLrMult must be positive/);
  assert.throws(() => fineTuneParamGroups(model, { headLrMult: 2, layerDecayRate: 0.6 }), /do not combine/);

  const train = new DataLoader(dataset([0, 1, 0, 1, 0, 1, 0, 1]), { batchSize: 4, shuffle: true, seed: 1 });
  const lrs: number[] = [];
  const r = await fineTune(backbone, train, null, {
    ...NORM,
    numClasses: 2,
    epochs: 4,
    optimizer: 'sgd',
    lr: 0.01,
    headLrMult: 10,
    multiStep: { milestones: [1, 3], gamma: 0.2 },
    onIter: ({ lr }) => lrs.push(lr),
  });
  // Two iterations per epoch; the reported lr is the head's: 0.1, then × 0.2 after epochs 1 and 3.
  const want = [0.1, 0.1, 0.02, 0.02, 0.02, 0.02, 0.004, 0.004];
  assert.equal(lrs.length, 8);
  for (const [i, v] of lrs.entries()) assert.ok(Math.abs(v - want[i]) < 1e-12, `iteration ${i}: lr ${v}, expected ${want[i]}`);
  r.model.dispose();
});
