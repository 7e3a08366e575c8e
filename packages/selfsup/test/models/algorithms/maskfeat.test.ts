/**
 * MaskFeat's behaviour beyond the parity test: the mask comes from the pipeline (and a missing or
 * mismatched one is an error saying which step to add); the ViT never sees the pixels of masked
 * patches (they reach only the targets); an image without masked patches adds nothing to the loss;
 * misconfigured parts are errors naming them; the masks a BEiTMaskGenerator pipeline makes train
 * it; a few steps on one batch lower the loss.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { MaskFeat } from '../../../src/models/algorithms/maskfeat.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import { ConfigError } from '../../../src/core/schema.js';
import { buildViews } from '../../../src/data/register.js';
import type { AlgorithmInput } from '../../../src/models/algorithms/base.js';
import { fixedBatch } from './fixture.js';
import '../../../src/builtins.js';

torch.setNumThreads(1);

const DIM = 16;
/** A tiny MaskFeat on 32-px images: 8-px patches (a 4×4 grid), 4-px HOG cells, 108-d targets. */
const cfg = {
  type: 'MaskFeat',
  backbone: { type: 'MaskFeatViT', embedDim: DIM, depth: 2, numHeads: 2, imgSize: 32, patchSize: 8 },
  neck: { type: 'LinearNeck', inChannels: DIM, outChannels: 108, withAvgPool: false },
  head: { type: 'MaskFeatPretrainHead' },
  targetGenerator: { type: 'HOGGenerator', pool: 4, patchSize: 8 },
};

const build = (over: Record<string, unknown> = {}) => ALGORITHMS.buildAs({ ...cfg, ...over }, 'model', MaskFeat, 'test');

/** `(n, 4, 4)` bool masks from row-major 0/1 rows. */
const maskOf = (rows: number[][]) => torch.tensor(rows, { shape: [rows.length, 4, 4] }).gt(0);

test('a batch without a mask, or with one of another grid, is an error naming MaskFeat and the BEiTMaskGenerator step', () => {
  torch.manualSeed(0);
  const algo = build();
  const batch = fixedBatch(1, 2, 32);
  assert.throws(
    () => algo.loss(batch),
    /MaskFeat: the batch has no patch mask; end the view pipeline with a 'BEiTMaskGenerator' step over the ViT's patch grid/,
  );
  torch.tidy(() => {
    const wrong = torch.zeros([2, 14, 14], { dtype: 'bool' });
    assert.throws(
      () => algo.loss({ ...batch, masks: [wrong] }),
      /MaskFeat: mask of shape \[2,14,14\] does not match 2 images of 4x4 patches \(32x32 px\); end the view pipeline with a 'BEiTMaskGenerator'/,
    );
  });
  algo.dispose();
});

test('the pixels of masked patches reach only the targets: the ViT sees the mask token there', () => {
  torch.manualSeed(0);
  const algo = build();
  algo.eval();
  torch.tidy(() => {
    const batch = fixedBatch(1, 2, 32, 3);
    const mask = maskOf([
      [1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      [0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
    ]);
    // Repaint the inside of patch (1, 1) of image 0 (masked), 1 px in from its edges so that the
    // Sobel responses of the neighbouring patches stay the same.
    const changed = batch.views[0].clone();
    changed.select(0, 0).slice(1, 9, 15).slice(2, 9, 15).fill_(255);
    const latent = (v: torch.Tensor) => algo.vit.forwardFeatures(algo.preprocess(v), mask);
    assert.ok(latent(batch.views[0]).equal(latent(changed)), 'every output token is unchanged');
    const targets = (v: torch.Tensor) => algo.targetGenerator.forward(algo.preprocess(v)) as torch.Tensor;
    const moved = targets(batch.views[0]).sub(targets(changed)).abs().amax(-1).gt(0).toList() as boolean[][];
    assert.deepEqual(
      moved[0].flatMap((m, i) => (m ? [i] : [])),
      [5],
      'only the repainted patch’s target moves',
    );
    const before = algo.loss({ ...batch, masks: [mask] }).loss.item();
    const after = algo.loss({ views: [changed], masks: [mask] }).loss.item();
    assert.notEqual(before, after, 'the loss sees the new target');
  });
  algo.dispose();
});

test('an image without masked patches adds nothing to the loss, and the loss is over the masked patches of the batch', () => {
  torch.manualSeed(0);
  const algo = build();
  algo.eval();
  torch.tidy(() => {
    const batch = fixedBatch(1, 3, 32, 5);
    const rows = [
      [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1],
    ];
    const mask = maskOf(rows);
    const loss = (v: torch.Tensor) => algo.loss({ views: [v], masks: [mask] }).loss.item();
    const other = batch.views[0].clone();
    other.select(0, 1).copy_(fixedBatch(1, 1, 32, 99).views[0].select(0, 0));
    assert.equal(loss(batch.views[0]), loss(other), 'image 1 (no masked patch) replaced: same loss, bit for bit');
    // The batch loss is the mean over its 8 masked patches: 4 from image 0 and 4 from image 2,
    // so it is the average of the two images' own losses.
    const one = (i: number) =>
      algo.loss({ views: [batch.views[0].slice(0, i, i + 1)], masks: [mask.slice(0, i, i + 1)] }).loss.item();
    const expected = (one(0) + one(2)) / 2;
    assert.ok(Math.abs(loss(batch.views[0]) - expected) < 1e-6, `${loss(batch.views[0])} vs ${expected}`);
  });
  algo.dispose();
});

test('the masks a BEiTMaskGenerator pipeline makes train it, and a few steps on one batch lower the loss', () => {
  torch.manualSeed(0);
  const algo = build();
  const views = buildViews([
    { type: 'RandomResizedCrop', size: 32, scale: [0.5, 1] },
    { type: 'RandomFlip', prob: 0.5 },
    { type: 'BEiTMaskGenerator', inputSize: 4, numMaskingPatches: 6, minNumPatches: 2 },
  ]);
  const batch: AlgorithmInput = torch.tidy(() => {
    const src = fixedBatch(1, 4, 40, 2).views[0];
    const imgs = Array.from({ length: 4 }, (_, i) => src.select(0, i));
    const out = views.applyBatchWithMasks(imgs, 0, 0, [0, 1, 2, 3]);
    return torch.keep({ views: out.views, masks: out.masks });
  });
  const mask = batch.masks?.[0] as torch.Tensor;
  assert.deepEqual(mask.shape, [4, 4, 4]);
  assert.equal(mask.dtype, 'bool');
  assert.deepEqual(mask.flatten(1).sum(1).toList(), [6, 6, 6, 6], 'BEiT masking reaches its patch count on a 4×4 grid');
  const params = algo.parameters().filter((p) => p.requiresGrad);
  const opt = new torch.optim.AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
  const losses: number[] = [];
  algo.train();
  for (let i = 0; i < 8; i++) {
    losses.push(
      torch.tidy(() => {
        opt.zeroGrad();
        const out = algo.loss(batch);
        out.loss.backward();
        opt.step();
        return out.loss.item();
      }),
    );
  }
  assert.ok(
    losses.every((l) => Number.isFinite(l)),
    `losses ${losses}`,
  );
  assert.ok(losses[7] < 0.8 * losses[0], `AdamW on one batch lowers the loss: ${losses.map((l) => l.toFixed(4))}`);
  opt.dispose();
  algo.dispose();
});

test('misconfigured parts are errors naming them', () => {
  assert.throws(
    () => build({ backbone: { type: 'VisionTransformer', embedDim: DIM, depth: 1, numHeads: 2, imgSize: 32, patchSize: 8 } }),
    (e: unknown) =>
      e instanceof ConfigError && /model\.backbone: MaskFeat needs a VisionTransformer with a mask token/.test(e.message),
  );
  assert.throws(
    () => build({ backbone: { type: 'ResNet', depth: 18 } }),
    /model\.backbone: MaskFeat needs a VisionTransformer with a mask token/,
  );
  assert.throws(
    () =>
      build({
        backbone: {
          type: 'MaskFeatViT',
          embedDim: DIM,
          depth: 1,
          numHeads: 2,
          imgSize: 32,
          patchSize: 8,
          clsToken: false,
          outType: 'raw',
        },
      }),
    /model\.backbone: MaskFeat needs a class token/,
  );
  assert.throws(() => build({ head: { type: 'ContrastiveHead', temperature: 0.1 } }), /MaskFeat needs a MaskFeatPretrainHead/);
  assert.throws(
    () => build({ targetGenerator: { type: 'HOGGenerater' } }),
    /model\.targetGenerator\.type: .*did you mean 'HOGGenerator'/,
  );
  torch.manualSeed(0);
  const batch = { ...fixedBatch(1, 2, 32), masks: [torch.ones([2, 4, 4], { dtype: 'bool' })] };
  const patch16 = build({ targetGenerator: { type: 'HOGGenerator', pool: 4 } });
  assert.throws(
    () => patch16.loss(batch),
    /MaskFeat: the target generator gave targets of shape \[2,4,432\] for 16 patches \(its patchSize must be the backbone's\)/,
  );
  const narrow = build({ neck: { type: 'LinearNeck', inChannels: DIM, outChannels: 27, withAvgPool: false } });
  assert.throws(() => narrow.loss(batch), /MaskFeat: the neck predicts 27 values per patch but the targets have 108/);
  patch16.dispose();
  narrow.dispose();
});
