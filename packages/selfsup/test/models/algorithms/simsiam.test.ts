import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { SimSiam } from '../../../src/models/algorithms/simsiam.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

/** MMSelfSup's SimSiam layout at toy width: 3-layer projector (last BN without affine), bottleneck predictor. */
const simsiamCfg = {
  type: 'SimSiam',
  backbone: tinyResNet,
  neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 32, outChannels: 32, numLayers: 3, withLastBnAffine: false },
  head: {
    type: 'LatentPredictHead',
    predictor: {
      type: 'NonLinearNeck',
      inChannels: 32,
      hidChannels: 8,
      outChannels: 32,
      withAvgPool: false,
      withLastBn: false,
      withLastBias: true,
    },
  },
};

test('SimSiam trains: 10 SGD steps on a fixed batch give finite, decreasing losses', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(simsiamCfg, 'model', SimSiam, 'test');
  assert.ok(algo instanceof SimSiam);
  const losses = trainSteps(algo, fixedBatch(2), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});

test('SimSiam loss is ½(D(p₁, z₂) + D(p₂, z₁)) with stop-gradient targets', () => {
  torch.manualSeed(2);
  const algo = ALGORITHMS.buildAs(simsiamCfg, 'model', SimSiam, 'test');
  const batch = fixedBatch(2, 6);
  algo.train();
  torch.tidy(() => {
    const z = [0, 1].map((v) => algo.neck.forward(algo.backbone.forward(algo.preprocess(batch.views[v])))[0]);
    const p = z.map((zi) => algo.head.predictor.forward([zi])[0]);
    const negcos = (a: torch.Tensor, b: torch.Tensor) =>
      a
        .mul(b)
        .sum(1)
        .div(a.norm(2, 1).mul(b.norm(2, 1)))
        .mean()
        .neg()
        .item();
    const expected = 0.5 * (negcos(p[0], z[1]) + negcos(p[1], z[0]));
    assertClose(algo.loss(batch).loss.item(), expected, 1e-5, 'loss');
    assert.ok(Object.keys(algo.stateDict()).every((k) => /^(backbone|neck|head\.predictor)\./.test(k)));
  });
  algo.dispose();
});
