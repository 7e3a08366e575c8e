import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { resolutionGroups } from '../../../src/models/algorithms/multi-crop.js';
import { SwAV } from '../../../src/models/algorithms/swav.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import '../../../src/builtins.js';

const cfg = (freezePrototypesIters = 0) => ({
  type: 'SwAV',
  backbone: tinyResNet,
  neck: { type: 'SwAVNeck', inChannels: 64, hidChannels: 32, outChannels: 16 },
  head: { type: 'SwAVHead', loss: { type: 'SwAVLoss', featDim: 16, numPrototypes: 20, numCrops: [2, 2], freezePrototypesIters } },
});
/** 2 large (16 px) + 2 small (8 px) crops. */
const batch = () => fixedBatch(4, 8, 16, 0, [16, 16, 8, 8]);

test('SwAV trains on 2×16 px + 2×8 px crops: 10 SGD steps give finite, decreasing losses', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg(), 'model', SwAV, 'test');
  assert.ok(algo instanceof SwAV);
  const b = batch();
  assert.deepEqual(resolutionGroups(b.views), [
    [0, 2],
    [2, 4],
  ]);
  const losses = trainSteps(algo, b, 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  assert.throws(() => algo.loss(fixedBatch(2)), /expects 4 crops/);
  algo.dispose();
});

test('SwAV prototypes are unit-norm at every step and stay put for the first freezePrototypesIters iterations', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs(cfg(3), 'model', SwAV, 'test');
  const b = batch();
  const w = algo.head.loss.prototypes.weight;
  assert.ok(Object.keys(algo.stateDict()).includes('head.loss.prototypes.weight'));
  const opt = new torch.optim.SGD(
    algo.parameters().filter((p) => p.requiresGrad),
    { lr: 0.5, momentum: 0.9, weightDecay: 0 },
  );
  algo.train();
  const seen: torch.Tensor[] = [];
  for (let iter = 0; iter < 5; iter++) {
    const progress: TrainProgress = { epoch: 0, iter, maxEpochs: 1, maxIters: 5 };
    torch.tidy(() => {
      opt.zeroGrad();
      const out = algo.loss(b, progress);
      assertClose(w.norm(2, 1), new Array(20).fill(1), 1e-6, `iteration ${iter}: unit prototypes`);
      out.loss.backward();
      assert.equal(w.grad === null, iter < 3, `iteration ${iter}: gradient ${iter < 3 ? 'absent' : 'present'}`);
      opt.step();
    });
    seen.push(torch.keep(w.clone()));
  }
  assertClose(seen[1], seen[0], 1e-7, 'frozen at iteration 1');
  assertClose(seen[2], seen[0], 1e-7, 'frozen at iteration 2');
  assert.ok(seen[3].sub(seen[2]).abs().max().item() > 1e-4, 'trained from iteration 3');
  for (const t of seen) t.dispose();
  opt.dispose();
  algo.dispose();
});
