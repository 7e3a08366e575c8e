import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { DINONeck } from '../../../src/models/necks/dino-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test('DINONeck matches MMSelfSup’s DINONeck with torch.nn.utils.weight_norm (g fixed at 1), keys and gradients', () => {
  torch.manualSeed(2);
  const neck = NECKS.buildAs(
    { type: 'DINONeck', inChannels: 6, hiddenChannels: 8, bottleneckChannels: 4, outChannels: 10 },
    'neck',
    DINONeck,
    'test',
  );
  assert.ok(neck instanceof DINONeck);
  assert.equal(new DINONeck({ inChannels: 3, hiddenChannels: 2, bottleneckChannels: 2 }).lastLayer.outFeatures, 65536);
  assert.equal(neck.lastLayer.weightG.requiresGrad, false, 'norm_last_layer: g is not trained');
  assertClose(neck.lastLayer.weightG, new Array(10).fill([1]), 0, 'g = 1');
  const ckpt = join(mkdtempSync(join(tmpdir(), 'selfsup-dinoneck-')), 'neck.pth');
  torch.save(neck.stateDict(), ckpt);
  const x = pseudo([3, 6], 1);
  const tokens = pseudo([3, 5, 6], 2);
  const w = pseudo([3, 10], 3);
  const ref = py<{ keys: string[]; y: number[][]; yTok: number[][]; gx: number[][]; gv: number[][] }>(
    `
import torch.nn as nn
class DINONeck(nn.Module):
    def __init__(s):
        super().__init__()
        s.mlp = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 4))
        s.last_layer = nn.utils.weight_norm(nn.Linear(4, 10, bias=False))
    def forward(s, x):
        return s.last_layer(nn.functional.normalize(s.mlp(x), dim=-1, p=2))
m = DINONeck()
sd = torch.load(D['ckpt']); m.load_state_dict(sd); m.double()
x = T(D['x']).requires_grad_(True)
y = m(x); (y * T(D['w'])).sum().backward()
OUT = {'keys': list(sd.keys()), 'y': y, 'yTok': m(T(D['tokens'])[:, 0]), 'gx': x.grad, 'gv': m.last_layer.weight_v.grad}`,
    { ckpt, x, tokens, w },
  );
  torch.tidy(() => {
    assert.deepEqual(Object.keys(neck.stateDict()), ref.keys, 'MMSelfSup keys, in order');
    neck.to('float64');
    const xt = torch.tensor(x, { dtype: 'float64' }).requiresGrad_(true);
    const [y] = neck.forward([xt]);
    y.mul(torch.tensor(w, { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(y, ref.y, 1e-10, 'class-token input');
    assertClose(xt.grad as torch.Tensor, ref.gx, 1e-9, 'input gradient');
    assertClose(neck.lastLayer.weightV.grad as torch.Tensor, ref.gv, 1e-9, 'weight_v gradient');
    assert.equal(neck.lastLayer.weightG.grad, null);
    assertClose(neck.forward([torch.tensor(tokens, { dtype: 'float64' })])[0], ref.yTok, 1e-10, 'token-sequence input');
  });
});
