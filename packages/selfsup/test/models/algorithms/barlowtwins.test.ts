import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { BarlowTwins } from '../../../src/models/algorithms/barlowtwins.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const cfg = {
  type: 'BarlowTwins',
  backbone: tinyResNet,
  neck: {
    type: 'NonLinearNeck',
    inChannels: 64,
    hidChannels: 32,
    outChannels: 32,
    numLayers: 3,
    withLastBn: false,
    withLastBnAffine: false,
  },
  head: { type: 'LatentCrossCorrelationHead', inChannels: 32 },
};

test('BarlowTwins trains: 10 SGD steps on a fixed batch give finite, decreasing losses; logs on + λ·off = loss', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg, 'model', BarlowTwins, 'test');
  assert.ok(algo instanceof BarlowTwins);
  const batch = fixedBatch(2);
  torch.tidy(() => {
    algo.train();
    const out = algo.loss(batch);
    assertClose(out.loss.item(), out.logs.loss_on_diag + 0.0051 * out.logs.loss_off_diag, 1e-5, 'terms');
  });
  const losses = trainSteps(algo, batch, 10, 0.01);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  assert.ok(Object.keys(algo.stateDict()).includes('head.bn.running_mean'));
  algo.dispose();
});
