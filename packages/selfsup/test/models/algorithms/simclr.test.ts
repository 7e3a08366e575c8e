import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import '../../../src/models/heads/mocov3-head.js';
import '../../../src/models/necks/nonlinear-neck.js';
import { SimCLR } from '../../../src/models/algorithms/simclr.js';
import { ntxentLoss } from '../../../src/models/losses/ntxent.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

// Tiny models gain nothing from intra-op threads, and spinning threads slow a shared machine down.
torch.setNumThreads(1);

const cfg = {
  type: 'SimCLR',
  backbone: tinyResNet,
  neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 64, outChannels: 16 },
  head: { type: 'ContrastiveHead', temperature: 0.1 },
};

test('SimCLR trains: 10 SGD steps on a fixed batch give finite, decreasing losses', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg, 'model', SimCLR, 'test');
  assert.ok(algo instanceof SimCLR);
  const losses = trainSteps(algo, fixedBatch(2), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});

test('SimCLR loss is NT-Xent (head temperature) of the projections of both views passed as one batch', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs({ ...cfg, head: { type: 'ContrastiveHead', temperature: 0.3 } }, 'model', SimCLR, 'test');
  const batch = fixedBatch(2, 6);
  torch.tidy(() => {
    algo.train();
    const x = torch.cat([algo.preprocess(batch.views[0]), algo.preprocess(batch.views[1])], 0);
    const z = algo.neck.forward(algo.backbone.forward(x))[0];
    const expected = ntxentLoss(z.narrow(0, 0, 6), z.narrow(0, 6, 6), { temperature: 0.3 }).item();
    const out = algo.loss(batch);
    assertClose(out.loss.item(), expected, 1e-5, 'loss');
    assert.equal(out.logs.loss_contrastive, out.loss.item());
    // Each view alone through BN gives other statistics: the joint batch matters.
    const zs = [0, 1].map((v) => algo.neck.forward(algo.backbone.forward(algo.preprocess(batch.views[v])))[0]);
    assert.ok(Math.abs(ntxentLoss(zs[0], zs[1], { temperature: 0.3 }).item() - expected) > 1e-4);
  });
  assert.ok(Object.keys(algo.stateDict()).every((k) => k.startsWith('backbone.') || k.startsWith('neck.')));
  assert.deepEqual(algo.extractFeat(algo.preprocess(batch.views[0]))[0].shape, [6, 64, 2, 2]);
  algo.dispose();
});

test('SimCLR config errors name the path', () => {
  assert.throws(() => ALGORITHMS.build({ ...cfg, queueLen: 5 }, 'model'), /model\.queueLen: unknown key/);
  assert.throws(
    () =>
      ALGORITHMS.build(
        {
          ...cfg,
          head: { type: 'MoCoV3Head', predictor: { type: 'NonLinearNeck', inChannels: 16, hidChannels: 8, outChannels: 16 } },
        },
        'model',
      ),
    /model\.head\.type: SimCLR needs a ContrastiveHead \(or a subclass\), got 'MoCoV3Head'/,
  );
  assert.throws(() => ALGORITHMS.build({ ...cfg, backbone: { type: 'ResNett', depth: 18 } }, 'model'), /model\.backbone\.type/);
});
