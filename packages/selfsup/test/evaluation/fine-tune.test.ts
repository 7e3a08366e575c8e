import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { DataLoader } from '../../src/data/loader/loader.js';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { applyMix, smoothOneHot, softTargetCrossEntropy } from '../../src/evaluation/batch-augments.js';
import { ImageClassifier } from '../../src/evaluation/classifier.js';
import {
  batchMixRng,
  buildBatchMix,
  buildFineTuneOptimizer,
  type FineTuneOptions,
  fineTune,
  fineTuneParamGroups,
} from '../../src/evaluation/fine-tune.js';
import { ResNet } from '../../src/models/backbones/resnet.js';
import { VisionTransformer } from '../../src/models/backbones/vit.js';
import { assertClose } from '../helpers.js';

const NORM = { mean: [127.5, 127.5, 127.5], std: [64, 64, 64] };

/** 16×16 RGB images: class 0 bright on the left half, class 1 on the right, with pixel noise. */
function halvesDataset(n: number, seed: number): ArrayDataset {
  const size = 16;
  const images = new Uint8Array(n * size * size * 3);
  const labels = new Int32Array(n);
  let s = seed >>> 0;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 60;
  };
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const bright = x < size / 2 === (labels[i] === 0);
          images[((i * size + y) * size + x) * 3 + c] = Math.round((bright ? 190 : 60) + noise());
        }
  }
  return new ArrayDataset('halves', images, { height: size, width: size, channels: 3 }, labels, ['left', 'right']);
}

test('fineTune: a tiny ResNet-18 fine-tuned on separable images lowers the loss and classifies the val set', async () => {
  torch.manualSeed(0);
  const backbone = new ResNet({ depth: 18, widthMultiplier: 0.125, cifarStem: true });
  const train = new DataLoader(halvesDataset(32, 1), { batchSize: 8, shuffle: true, seed: 3 });
  const val = new DataLoader(halvesDataset(16, 2), { batchSize: 8 });
  const before = torch.memory().liveTensors;
  const lrs: number[] = [];
  const r = await fineTune(backbone, train, val, {
    ...NORM,
    numClasses: 2,
    epochs: 3,
    optimizer: 'sgd',
    lr: 0.05,
    weightDecay: 1e-4,
    warmupEpochs: 1,
    labelSmoothing: 0.1,
    seed: 0,
    onIter: ({ lr }) => lrs.push(lr),
  });
  assert.equal(r.iterLoss.length, 12);
  assert.equal(r.trainLoss.length, 3);
  assert.ok(r.trainLoss[2] < r.trainLoss[0] * 0.8, `loss per epoch: ${r.trainLoss.join(', ')}`);
  assert.equal(r.top1, 100, `val top-1 ${r.top1}`);
  // Warm-up over the 4 iterations of epoch 0 from 1e-4·lr, then the cosine over the next 8.
  assert.ok(Math.abs(lrs[0] - 0.05e-4) < 1e-12);
  assert.ok(Math.abs(lrs[4] - 0.05) < 1e-12, `lr at the end of warm-up ${lrs[4]}`);
  assert.ok(Math.abs(lrs[8] - 0.025) < 1e-9, `lr half-way through the cosine ${lrs[8]}`);
  // Nothing leaks per iteration: only the head (weight, bias) was added to the live tensors.
  assert.equal(torch.memory().liveTensors - before, 2);
  r.model.dispose();
});

test('fineTuneParamGroups: layer-wise lr decay of a tiny ViT gives lr·rate^(L+1−layer) and no decay on norms/biases', () => {
  const vit = new VisionTransformer({ embedDim: 16, depth: 2, numHeads: 2, imgSize: 16, patchSize: 8, mlpRatio: 2 });
  const model = new ImageClassifier(vit, { ...NORM, numClasses: 3 });
  const lr = 1e-3;
  const rate = 0.5;
  const groups = fineTuneParamGroups(model, { lr, weightDecay: 0.05, layerDecayRate: rate });
  const byName = new Map<string, { lr: number; wd: number }>();
  for (const g of groups) for (const n of g.paramNames) byName.set(n, { lr: g.lr, wd: g.weightDecay });
  // L = 2 blocks: patch embedding, cls token, pos embedding → layer 0; blocks.i → i + 1; the rest → 3.
  const expected: [string, number, number][] = [
    ['backbone.cls_token', lr * rate ** 3, 0],
    ['backbone.pos_embed', lr * rate ** 3, 0],
    ['backbone.patch_embed.proj.weight', lr * rate ** 3, 0.05],
    ['backbone.patch_embed.proj.bias', lr * rate ** 3, 0],
    ['backbone.blocks.0.attn.qkv.weight', lr * rate ** 2, 0.05],
    ['backbone.blocks.0.norm1.weight', lr * rate ** 2, 0],
    ['backbone.blocks.1.mlp.fc1.weight', lr * rate, 0.05],
    ['backbone.blocks.1.mlp.fc1.bias', lr * rate, 0],
    ['backbone.norm.weight', lr, 0],
    ['head.weight', lr, 0.05],
    ['head.bias', lr, 0],
  ];
  for (const [name, wantLr, wantWd] of expected) {
    const got = byName.get(name);
    assert.ok(got, `${name} is in a group`);
    assert.ok(Math.abs(got.lr - wantLr) < 1e-15, `${name}: lr ${got.lr}, expected ${wantLr}`);
    assert.equal(got.wd, wantWd, `${name}: weight decay`);
  }
  // Every trainable parameter is in exactly one group.
  assert.equal(byName.size, [...model.namedParameters()].length);
  // The optimizer is built from the same groups.
  const opt = buildFineTuneOptimizer(model, { lr, weightDecay: 0.05, layerDecayRate: rate });
  assert.deepEqual(
    opt.paramGroups.map((g) => g.lr),
    groups.map((g) => g.lr),
  );
  opt.dispose();
  // Without layer decay: one lr; decay on matrices only.
  const plain = fineTuneParamGroups(model, { lr, weightDecay: 0.05 });
  assert.deepEqual(
    plain.map((g) => [g.groupName, g.lr, g.weightDecay]),
    [
      ['decay', lr, 0.05],
      ['no_decay', lr, 0],
    ],
  );
  assert.ok(plain[1].paramNames.includes('backbone.cls_token') && plain[0].paramNames.includes('head.weight'));
  model.dispose();
});

test('fineTune with Mixup/CutMix and an EMA: the loss is the soft-target CE of the mixed batch; the model ends with the EMA of the weights', async () => {
  const opts: FineTuneOptions = {
    ...NORM,
    numClasses: 2,
    epochs: 1,
    optimizer: 'sgd',
    lr: 0.05,
    labelSmoothing: 0.1,
    mixupAlpha: 0.8,
    cutmixAlpha: 1.0,
    emaMomentum: 0.3,
    seed: 0,
  };
  const tiny = () => new ResNet({ depth: 18, widthMultiplier: 0.0625, cifarStem: true });
  const loader = () => new DataLoader(halvesDataset(24, 5), { batchSize: 8, shuffle: true, seed: 4 });
  torch.manualSeed(1);
  const backbone = tiny();
  const watched = backbone.parameters()[0];
  const snapshots: torch.Tensor[] = [];
  const before = torch.memory().liveTensors;
  const r = await fineTune(backbone, loader(), null, {
    ...opts,
    onIter: () => snapshots.push(torch.tidy(() => watched.detach().clone())),
  });
  // Nothing leaks: the head (and the test's snapshots) are the only new tensors; the EMA's copies are freed.
  assert.equal(torch.memory().liveTensors - before, 2 + snapshots.length);
  assert.equal(r.iterLoss.length, 3);
  // The EMA by hand from the weights after each step (MMEngine: copy, then lerp by the momentum).
  const ema = snapshots[0].clone();
  for (const w of snapshots.slice(1)) ema.lerp_(w, 0.3);
  assertClose(watched, ema, 1e-7, 'the backbone ends with the averaged weights');
  assert.ok(ema.sub(snapshots[2]).abs().max().item() > 1e-4, 'the average differs from the last weights');
  r.model.head.dispose();

  // The first loss again, from a fresh model with the same initialisation, the same first batch and the same mix.
  torch.manualSeed(1);
  const model = new ImageClassifier(tiny(), opts);
  model.train();
  const train = loader();
  train.setEpoch(0);
  for await (const batch of train) {
    torch.tidy(() => {
      const labels = batch.labels as torch.Tensor;
      const [n, , h, w] = batch.views[0].shape;
      const mix = buildBatchMix(opts)?.sample(batchMixRng(0, 0, 0), n, h, w);
      assert.ok(mix, 'mixupProb 1: every batch is mixed');
      const { images, scores } = applyMix(batch.views[0].float(), smoothOneHot(labels, 2, 0.1), mix);
      const loss = softTargetCrossEntropy(model.forward(images), scores).item();
      assertClose(loss, r.iterLoss[0], 1e-5, `first loss (${mix.kind}, λ ${mix.lam})`);
    });
    batch.dispose();
    break;
  }
  for (const t of [...snapshots, ema]) t.dispose();
  model.dispose();
});

test("buildBatchMix: timm's switch and mix probabilities as RandomBatchAugment probs; bad options named", () => {
  assert.equal(buildBatchMix({ ...NORM, numClasses: 2, epochs: 1 }), null);
  const both = buildBatchMix({
    ...NORM,
    numClasses: 2,
    epochs: 1,
    mixupAlpha: 0.8,
    cutmixAlpha: 1,
    mixupProb: 0.8,
    mixupSwitchProb: 0.25,
  });
  assert.deepEqual(both?.probs, [0.8 * 0.75, 0.8 * 0.25]);
  assert.deepEqual(buildBatchMix({ ...NORM, numClasses: 2, epochs: 1, cutmixAlpha: 1 })?.probs, [1]);
  assert.throws(
    () => buildBatchMix({ ...NORM, numClasses: 2, epochs: 1, mixupAlpha: -1 }),
    /fineTune: mixupAlpha must be positive/,
  );
  assert.throws(
    () => buildBatchMix({ ...NORM, numClasses: 2, epochs: 1, mixupAlpha: 1, mixupProb: 2 }),
    /mixupProb must be in \[0, 1\]/,
  );
  assert.throws(
    () => buildBatchMix({ ...NORM, numClasses: 2, epochs: 1, cutmixMinmax: [0.2, 0.8] }),
    /cutmixMinmax needs cutmixAlpha/,
  );
});
