/**
 * A ready nn.Module as an algorithm's backbone: a hand-written module trains inside SimCLR (built
 * with `new` and through the registry), its own tensors are the ones trained, its keys become
 * `backbone.*`, and a module that does not declare its output channels, or declares ones the neck
 * does not take, is an error naming what is missing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import '../../../src/builtins.js';
import { ConfigError } from '../../../src/core/errors.js';
import { SimCLR } from '../../../src/models/algorithms/simclr.js';
import { ModuleBackbone } from '../../../src/models/backbones/module-backbone.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import { fixedBatch } from '../algorithms/fixture.js';

torch.setNumThreads(1);

/** conv 3×3 (stride 2) → BN → ReLU → conv 3×3: a `(N, 8, H/2, W/2)` map, with a plain field for its width. */
class TinyNet extends nn.Module {
  readonly conv1 = this.registerModule('conv1', new nn.Conv2d(3, 6, 3, { stride: 2, padding: 1, bias: false }));
  readonly bn = this.registerModule('bn', new nn.BatchNorm2d(6));
  readonly conv2 = this.registerModule('conv2', new nn.Conv2d(6, 8, 3, { padding: 1 }));
  readonly scale = this.registerParameter('scale', torch.ones([1]));
  constructor(readonly outChannels?: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.conv2.forward(F.relu(this.bn.forward(this.conv1.forward(x)))).mul(this.scale));
  }
}

const neck = { type: 'NonLinearNeck', inChannels: 8, hidChannels: 16, outChannels: 4 } as const;
const head = { type: 'ContrastiveHead', temperature: 0.1 } as const;

test('new SimCLR({ backbone: module }): one SGD step moves the module’s own weights by −lr·grad', () => {
  torch.manualSeed(0);
  const net = new TinyNet(8);
  const algo = new SimCLR({ backbone: net, neck, head });
  assert.ok(algo.backbone instanceof ModuleBackbone);
  assert.equal(algo.backbone.numFeatures, 8);
  // The keys are the module's under `backbone.`, and the tensors are the module's.
  const own = net.stateDict();
  const sd = algo.stateDict();
  const bb = Object.keys(sd).filter((k) => k.startsWith('backbone.'));
  assert.deepEqual(
    bb.sort(),
    Object.keys(own)
      .map((k) => `backbone.${k}`)
      .sort(),
  );
  for (const k of Object.keys(own)) assert.equal(sd[`backbone.${k}`], own[k], k);

  algo.eval();
  assert.equal(net.training, false);
  algo.train();
  assert.equal(net.training, true);

  const lr = 0.1;
  const before = net.conv1.weight.clone();
  const opt = new torch.optim.SGD(algo.parameters(), { lr, momentum: 0, weightDecay: 0 });
  const batch = fixedBatch(2, 6, 12);
  const grad = torch.tidy(() => {
    opt.zeroGrad();
    algo.loss(batch).loss.backward();
    const g = (net.conv1.weight.grad as Tensor).clone();
    opt.step();
    return g;
  });
  assert.ok(grad.abs().sum().item() > 0, 'the module’s weights get gradients through the neck and head');
  const expected = before.sub(grad.mul(lr));
  assert.ok(net.conv1.weight.sub(expected).abs().max().item() < 1e-6, 'w ← w − lr·grad');
  assert.ok(net.conv1.weight.sub(before).abs().max().item() > 1e-6, 'the weights changed');
  // BN running statistics of the module were updated by the training forward.
  assert.ok((net.bn.runningMean as Tensor).abs().sum().item() > 0);
  for (const t of [before, grad, expected]) t.dispose();
  opt.dispose();
  algo.dispose();
});

test('ALGORITHMS.build accepts a module backbone; its features are the module’s output', () => {
  torch.manualSeed(1);
  const net = new TinyNet(8);
  const algo = ALGORITHMS.build({ type: 'SimCLR', backbone: net, neck, head });
  algo.eval();
  net.eval();
  torch.tidy(() => {
    const x = torch.randn([2, 3, 8, 8]);
    const [f] = algo.extractFeat(x);
    assert.deepEqual(f.shape, [2, 8, 4, 4]);
    assert.ok(f.sub(net.forward(x)).abs().max().item() === 0);
  });
  algo.dispose();
});

test('a module without numFeatures/outChannels, or with channels the neck does not take, is an error', () => {
  assert.throws(
    () => new SimCLR({ backbone: new TinyNet(), neck, head }),
    (e: Error) => e instanceof TypeError && /TinyNet must declare .*`numFeatures` or `outChannels`/.test(e.message),
  );
  assert.throws(
    () => ALGORITHMS.build({ type: 'SimCLR', backbone: new TinyNet(16), neck, head }, 'model'),
    (e: Error) =>
      e instanceof ConfigError && /model\.neck\.inChannels/.test(e.message) && /16 output channels.*takes 8/.test(e.message),
  );
  // A momentum target is a copy built from the backbone's config: a module cannot give one.
  assert.throws(
    () =>
      ALGORITHMS.build(
        {
          type: 'BYOL',
          backbone: new TinyNet(8),
          neck,
          head: {
            type: 'LatentPredictHead',
            predictor: { type: 'NonLinearNeck', inChannels: 4, hidChannels: 8, outChannels: 4 },
          },
        },
        'model',
      ),
    /BYOL \(model\.backbone\): the momentum target is built from the backbone's config; pass a backbone config, not a module/,
  );
  // Neither a config nor a module.
  assert.throws(
    () => ALGORITHMS.build({ type: 'SimCLR', backbone: 42, neck, head }, 'model'),
    /model\.backbone: expected a backbone config with a `type`, or an nn\.Module/,
  );
});
