import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { BYOL } from '../../../src/models/algorithms/byol.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import '../../../src/builtins.js';

const cfg = {
  type: 'BYOL',
  backbone: tinyResNet,
  neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 32, outChannels: 16, withBias: true, withLastBn: false },
  head: {
    type: 'LatentPredictHead',
    predictor: {
      type: 'NonLinearNeck',
      inChannels: 16,
      hidChannels: 32,
      outChannels: 16,
      withBias: true,
      withLastBn: false,
      withAvgPool: false,
    },
  },
};

test('BYOL trains: 10 SGD steps on a fixed batch give finite, decreasing losses', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg, 'model', BYOL, 'test');
  assert.ok(algo instanceof BYOL);
  assert.equal(algo.targetNet.baseMomentum, 0.99);
  const losses = trainSteps(algo, fixedBatch(2), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});

test('BYOL target = EMA of the online network: a copy at iteration 0, then m·θ_t + (1 − m)·θ_o with the cosine momentum', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs(cfg, 'model', BYOL, 'test');
  const keys = Object.keys(algo.stateDict());
  for (const k of ['backbone.conv1.weight', 'neck.fc0.weight', 'head.predictor.fc0.weight', 'target_net.steps'])
    assert.ok(keys.includes(k), k);
  assert.ok(keys.includes('target_net.module.0.conv1.weight') && keys.includes('target_net.module.1.fc0.weight'));
  assert.ok(
    algo.targetNet.parameters().every((p) => !p.requiresGrad),
    'the target gets no gradient',
  );
  const sd = algo.stateDict();
  const online = sd['neck.fc0.weight'];
  const target = sd['target_net.module.1.fc0.weight'];
  const batch = fixedBatch(2);
  const opt = new torch.optim.SGD(
    algo.parameters().filter((p) => p.requiresGrad),
    { lr: 0.5, momentum: 0, weightDecay: 0 },
  );
  const progress = (iter: number): TrainProgress => ({ epoch: 0, iter, maxEpochs: 1, maxIters: 10 });
  const step = (iter: number) =>
    torch.tidy(() => {
      opt.zeroGrad();
      const out = algo.loss(batch, progress(iter));
      out.loss.backward();
      opt.step();
      return out.logs.momentum;
    });
  algo.train();
  const before = online.clone();
  step(0);
  assertClose(target, before, 0, 'iteration 0 copies the online weights (before the step)');
  const t0 = target.clone();
  const o1 = online.clone();
  assert.ok(torch.noGrad(() => t0.sub(o1).abs().max().item()) > 1e-4, 'the step moved the online weights');
  const m = step(1);
  const expected = 1 - ((1 - 0.99) * (Math.cos(Math.PI / 10) + 1)) / 2;
  assertClose(m, expected, 1e-15, 'momentum at k = 1 of K = 10');
  assertClose(
    target,
    torch.noGrad(() => t0.mul(expected).add(o1.mul(1 - expected))),
    1e-6,
    'EMA of the neck weight',
  );
  assert.equal(algo.targetNet.steps.item(), 2);
  opt.dispose();
  algo.dispose();
});
