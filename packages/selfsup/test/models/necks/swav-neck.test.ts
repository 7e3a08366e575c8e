import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { SwAVNeck } from '../../../src/models/necks/swav-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test('SwAVNeck matches fc-bn-relu-fc + L2 norm in PyTorch over two crop groups (pooled, concatenated), with gradients', () => {
  torch.manualSeed(1);
  const neck = NECKS.buildAs({ type: 'SwAVNeck', inChannels: 4, hidChannels: 6, outChannels: 3 }, 'neck', SwAVNeck, 'test');
  assert.ok(neck instanceof SwAVNeck);
  const ckpt = join(mkdtempSync(join(tmpdir(), 'selfsup-swavneck-')), 'neck.pth');
  torch.save(neck.stateDict(), ckpt);
  const big = pseudo([4, 4, 3, 3], 1); // 2 large crops × N = 2
  const small = pseudo([6, 4, 2, 2], 2); // 3 small crops × N = 2
  const w = pseudo([10, 3], 3);
  const ref = py<{ keys: string[]; y: number[][]; gBig: number[]; gFc0: number[][] }>(
    `
import torch.nn as nn
m = nn.Module()
m.projection_neck = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
sd = torch.load(D['ckpt']); m.load_state_dict(sd); m.double()
big = T(D['big']).requires_grad_(True); small = T(D['small'])
feat = torch.cat([nn.functional.adaptive_avg_pool2d(big, 1), nn.functional.adaptive_avg_pool2d(small, 1)]).flatten(1)
y = nn.functional.normalize(m.projection_neck(feat), dim=1, p=2)
(y * T(D['w'])).sum().backward()
OUT = {'keys': list(sd.keys()), 'y': y, 'gBig': big.grad.reshape(-1), 'gFc0': m.projection_neck[0].weight.grad}`,
    { ckpt, big, small, w },
  );
  torch.tidy(() => {
    assert.deepEqual(Object.keys(neck.stateDict()), ref.keys);
    neck.to('float64');
    const b = torch.tensor(big, { dtype: 'float64' }).requiresGrad_(true);
    const [y] = neck.forward([b, torch.tensor(small, { dtype: 'float64' })]);
    y.mul(torch.tensor(w, { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(y, ref.y, 1e-10, 'output');
    assertClose(y.norm(2, 1), new Array(10).fill(1), 1e-12, 'unit rows');
    assertClose((b.grad as torch.Tensor).reshape(-1), ref.gBig, 1e-9, 'input gradient');
    const fc0 = (neck.projectionNeck as torch.nn.Sequential).at(0) as torch.nn.Linear;
    assertClose(fc0.weight.grad as torch.Tensor, ref.gFc0, 1e-9, 'fc0 weight gradient');
  });
});

test('SwAVNeck: hidChannels 0 is one linear layer, outChannels 0 only pools and normalises', () => {
  torch.tidy(() => {
    const lin = new SwAVNeck({ inChannels: 4, hidChannels: 0, outChannels: 3 });
    assert.deepEqual(Object.keys(lin.stateDict()), ['projection_neck.weight', 'projection_neck.bias']);
    const none = new SwAVNeck({ inChannels: 4, hidChannels: 0, outChannels: 0 });
    assert.deepEqual(Object.keys(none.stateDict()), []);
    const x = torch.tensor(pseudo([2, 4, 2, 2], 4));
    const [y] = none.forward([x]);
    const pooled = x.mean([2, 3]);
    assertClose(y, pooled.div(pooled.norm(2, 1, { keepdim: true })), 1e-6, 'pooled and normalised');
  });
});
