import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { VICReg } from '../../../src/models/algorithms/vicreg.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const cfg = {
  type: 'VICReg',
  backbone: tinyResNet,
  neck: {
    type: 'NonLinearNeck',
    inChannels: 64,
    hidChannels: 32,
    outChannels: 32,
    numLayers: 3,
    withBias: true,
    withLastBn: false,
  },
};

test('VICReg trains: 10 SGD steps on a fixed batch give finite, decreasing losses; logs the three terms', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg, 'model', VICReg, 'test');
  assert.ok(algo instanceof VICReg);
  const batch = fixedBatch(2);
  torch.tidy(() => {
    algo.train();
    const { loss, logs } = algo.loss(batch);
    assertClose(loss.item(), 25 * logs.loss_invariance + 25 * logs.loss_variance + logs.loss_covariance, 1e-5, 'terms');
  });
  const losses = trainSteps(algo, batch, 10, 0.01);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});
