import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import '../../../src/models/backbones/vit.js';
import '../../../src/models/necks/nonlinear-neck.js';
import { MoCoV3 } from '../../../src/models/algorithms/mocov3.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import '../../../src/builtins.js';

// Tiny models gain nothing from intra-op threads, and spinning threads slow a shared machine down.
torch.setNumThreads(1);

/** MMSelfSup's MoCo v3 ResNet layout, narrowed: 2-layer projector, predictor with a last BN without affine. */
const predictor = {
  type: 'NonLinearNeck',
  inChannels: 16,
  hidChannels: 64,
  outChannels: 16,
  withLastBnAffine: false,
  withAvgPool: false,
};
const resnetCfg = {
  type: 'MoCoV3',
  backbone: tinyResNet,
  neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 64, outChannels: 16 },
  head: { type: 'MoCoV3Head', predictor, temperature: 1.0 },
};
/** The ViT layout: fixed sine-cosine position embedding, 3-layer projector on the class token, T = 0.2. */
const vitCfg = {
  type: 'MoCoV3',
  backbone: { type: 'VisionTransformer', embedDim: 32, depth: 1, numHeads: 2, patchSize: 4, imgSize: 16, posEmbed: 'sincos' },
  neck: {
    type: 'NonLinearNeck',
    inChannels: 32,
    hidChannels: 64,
    outChannels: 16,
    numLayers: 3,
    withLastBnAffine: false,
    withAvgPool: false,
    vitBackbone: true,
  },
  head: { type: 'MoCoV3Head', predictor, temperature: 0.2 },
};

const at = (iter: number, maxIters: number): TrainProgress => ({ epoch: 0, iter, maxEpochs: 1, maxIters });

for (const [name, cfg] of [
  ['ResNet', resnetCfg],
  ['ViT', vitCfg],
] as const) {
  test(`MoCo v3 (${name}) trains: 10 SGD steps give finite, decreasing losses`, () => {
    torch.manualSeed(0);
    const algo = ALGORITHMS.buildAs(cfg, 'model', MoCoV3, 'test');
    assert.ok(algo instanceof MoCoV3);
    const losses = trainSteps(algo, fixedBatch(2), 10);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
    algo.dispose();
  });
}

test('MoCo v3 momentum follows the cosine schedule from 0.99 to 1 and the momentum encoder follows the EMA rule', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs(resnetCfg, 'model', MoCoV3, 'test');
  assert.equal(algo.momentumEncoder.baseMomentum, 0.99);
  const batch = fixedBatch(2);
  trainSteps(algo, batch, 1); // first update copies, then SGD moves the base encoder
  // m(k) = 1 − (1 − 0.99)·(cos(πk/K) + 1)/2: 0.99 at k = 0, 0.995 halfway, 1 at the end.
  const expected = (k: number, total: number) => 1 - 0.01 * ((Math.cos((Math.PI * k) / total) + 1) / 2);
  assert.ok(Math.abs(algo.momentumEncoder.momentumAt(at(4, 8)) - 0.995) < 1e-15);
  assert.equal(algo.momentumEncoder.momentumAt(at(0, 8)), 0.99);
  assert.equal(algo.momentumEncoder.momentumAt(at(8, 8)), 1);
  assert.equal(algo.momentumEncoder.momentumAt(), 0.99, 'without progress, the base momentum');
  const key = algo.momentumEncoder.module.neck.stateDict()['fc0.weight'];
  const base = algo.neck.stateDict()['fc0.weight'];
  const k0 = key.clone();
  const b0 = base.clone();
  const out = torch.tidy(() => algo.loss(batch, at(2, 8)).logs);
  const m = expected(2, 8);
  assert.ok(
    Math.abs(algo.momentumEncoder.momentum - m) < 1e-15 && Math.abs(out.momentum - m) < 1e-15,
    `momentum ${algo.momentumEncoder.momentum} vs ${m}`,
  );
  assertClose(key, k0.mul(m).add(b0.mul(1 - m)), 1e-6, 'momentum encoder EMA');
  torch.tidy(() => algo.loss(batch, at(8, 8)));
  assertClose(key, k0.mul(m).add(b0.mul(1 - m)), 1e-6, 'momentum 1 at the end: the encoder stays');
  for (const t of [k0, b0]) t.dispose();
  algo.dispose();
});

test("MoCo v3 loss is head(q₁, k₂) + head(q₂, k₁); state dict has MMSelfSup's keys", () => {
  torch.manualSeed(2);
  const algo = ALGORITHMS.buildAs(resnetCfg, 'model', MoCoV3, 'test');
  const batch = fixedBatch(2);
  torch.tidy(() => {
    const loss = algo.loss(batch, at(0, 10)).loss.item();
    // Same weights and train-mode BN (batch statistics): recompute from the parts.
    const [v1, v2] = batch.views.map((v) => algo.preprocess(v));
    const q = [v1, v2].map((v) => algo.neck.forward(algo.backbone.forward(v))[0]);
    const k = [v1, v2].map((v) => algo.momentumEncoder.forward(v)[0]);
    const expected = algo.head.forward(q[0], k[1]).add(algo.head.forward(q[1], k[0])).item();
    assertClose(loss, expected, 1e-5, 'symmetric loss');
  });
  const keys = Object.keys(algo.stateDict());
  for (const k of [
    'backbone.conv1.weight',
    'neck.fc0.weight',
    'head.predictor.fc0.weight',
    'momentum_encoder.steps',
    'momentum_encoder.module.0.conv1.weight',
    'momentum_encoder.module.1.bn1.running_var',
  ])
    assert.ok(keys.includes(k), k);
  assert.ok(
    !keys.some((k) => k.startsWith('momentum_encoder.module.1.') && k.includes('predictor')),
    'no predictor in the momentum encoder',
  );
  algo.dispose();
});
