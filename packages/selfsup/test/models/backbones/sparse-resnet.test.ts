/**
 * SparseResNet (SparK, Tian et al. 2023): a ResNet whose conv/pool/BN are the sparse ones, with
 * ResNet's keys: with every position active it is the dense ResNet, masked positions are zero at
 * every stage, and the backbone of a trained SparK loads strictly into a plain ResNet (the
 * fine-tuning path) that then computes what the SparseResNet computes densely.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ResNet, type ResNetOptions, SparK, SparseResNet } from '../../../src/index.js';
import { assertClose } from '../../helpers.js';

const OPTS: ResNetOptions = { depth: 18, widthMultiplier: 0.125, cifarStem: true, outIndices: [0, 1, 2, 3] };

test('SparseResNet has ResNet’s state-dict keys and shapes', () => {
  const s = new SparseResNet(OPTS);
  const r = new ResNet(OPTS);
  const shapes = (m: ResNet) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
  assert.deepEqual(shapes(s), shapes(r));
  s.dispose();
  r.dispose();
});

test('SparseResNet with every position active is the dense ResNet (training-mode BN statistics included)', () => {
  torch.manualSeed(0);
  const s = new SparseResNet(OPTS).to('float64');
  const r = new ResNet(OPTS).to('float64');
  r.loadStateDict(s.stateDict());
  torch.tidy(() => {
    const x = torch.randn([2, 3, 32, 32], { dtype: 'float64' });
    const all = torch.ones([2, 1, 4, 4], { dtype: 'bool' });
    const a = s.forwardSparse(x, all);
    const b = r.forward(x);
    a.forEach((t, i) => {
      assertClose(t, b[i], 1e-10, `stage ${i}`);
    });
    assertClose(s.stateDict()['layer4.1.bn2.running_var'], r.stateDict()['layer4.1.bn2.running_var'], 1e-10, 'running var');
  });
  s.dispose();
  r.dispose();
});

test('SparseResNet: masked positions are zero at every stage', () => {
  torch.manualSeed(1);
  const s = new SparseResNet({ ...OPTS, cifarStem: false });
  torch.tidy(() => {
    const active = torch.rand([2, 1, 2, 2]).lt(0.5);
    active.index(0).fill_(true).index(0, 0).fill_(false); // at least one visible, one masked in image 0
    const px = active.to({ dtype: 'float32' }).repeatInterleave(32, 2).repeatInterleave(32, 3);
    const outs = s.forwardSparse(torch.randn([2, 3, 64, 64]).mul(px), active);
    for (const o of outs) {
      const r = o.shape[2] / 2;
      const inactive = active.logicalNot().to({ dtype: 'float32' }).repeatInterleave(r, 2).repeatInterleave(r, 3);
      assert.equal(o.abs().mul(inactive).max().item(), 0, `stage of [${o.shape}]`);
      assert.ok(o.abs().sum().item() > 0, 'visible positions carry features');
    }
  });
  s.dispose();
});

test('the backbone of a trained SparK loads strictly into a plain ResNet, which computes what the SparseResNet computes', () => {
  torch.manualSeed(2);
  const backbone = { type: 'SparseResNet' as const, ...OPTS, outIndices: [1, 2, 3] };
  const algo = ALGORITHMS.buildAs(
    {
      type: 'SparK',
      inputSize: 32,
      downsampleRatio: 8,
      encDecNormDim: 64,
      backbone,
      neck: { type: 'SparKLightDecoder', featureDim: 32, upsampleRatio: 8 },
      head: { type: 'SparKPretrainHead', patchSize: 8 },
    },
    'model',
    SparK,
    'test',
  );
  const opt = new torch.optim.SGD(algo.parameters(), { lr: 0.05, momentum: 0.9 });
  const views = [torch.keep(torch.randint(0, 256, [4, 3, 32, 32]).to({ dtype: 'uint8' }))];
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    torch.manualSeed(10); // the same patches each step: the loss must fall
    torch.tidy(() => {
      const { loss } = algo.loss({ views });
      loss.backward();
      losses.push(loss.item());
    });
    opt.step();
  }
  assert.ok(losses[2] < losses[0], `loss ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
  const sd = Object.fromEntries(
    Object.entries(algo.stateDict())
      .filter(([k]) => k.startsWith('backbone.'))
      .map(([k, t]) => [k.slice('backbone.'.length), t]),
  );
  assert.ok(Math.abs((sd['layer1.0.bn1.running_mean'] as torch.Tensor).sum().item()) > 0, 'running statistics were trained');
  const plain = new ResNet({ depth: 18, widthMultiplier: 0.125, cifarStem: true, outIndices: [1, 2, 3] });
  plain.loadStateDict(sd, { strict: true });
  plain.eval();
  algo.eval();
  torch.tidy(() => {
    const x = torch.randn([2, 3, 32, 32]);
    const a = plain.forward(x);
    const b = algo.backbone.forward(x);
    a.forEach((t, i) => {
      assertClose(t, b[i], 1e-5, `stage ${i}`);
    });
  });
  plain.dispose();
  algo.dispose();
});
