import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { MoCoV2Neck } from '../../../src/models/necks/mocov2-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test("MoCoV2Neck: fc-ReLU-fc with MMSelfSup's keys (mlp.0, mlp.2) matches PyTorch, output and gradients", () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-mocov2neck-'));
  torch.manualSeed(2);
  const neck = NECKS.buildAs(
    { type: 'MoCoV2Neck', inChannels: 6, hidChannels: 10, outChannels: 4 },
    'neck',
    MoCoV2Neck,
    'test',
  ).to('float64');
  const ckpt = join(dir, 'neck.pth');
  torch.save(neck.stateDict(), ckpt);
  const x = pseudo([5, 6, 3, 3], 7);
  const w = pseudo([5, 4], 8);
  const ref = py<{ keys: string[]; y: number[][]; gx: number[]; gw: number[][] }>(
    `import torch.nn as nn
m = nn.Module(); m.mlp = nn.Sequential(nn.Linear(6, 10), nn.ReLU(inplace=True), nn.Linear(10, 4))
m.load_state_dict(torch.load(D['ckpt'])); m.double()
x = T(D['x']).requires_grad_(True)
y = m.mlp(nn.functional.adaptive_avg_pool2d(x, 1).view(5, -1)); (y * T(D['w'])).sum().backward()
OUT = {'keys': list(m.state_dict().keys()), 'y': y, 'gx': x.grad.reshape(-1), 'gw': m.mlp[0].weight.grad}`,
    { ckpt, x, w },
  );
  assert.ok(neck instanceof MoCoV2Neck);
  torch.tidy(() => {
    assert.deepEqual(Object.keys(neck.stateDict()), ref.keys);
    assert.deepEqual(ref.keys, ['mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias']);
    const xt = torch.tensor(x as number[][][][], { dtype: 'float64' }).requiresGrad_(true);
    const [y] = neck.forward([xt]);
    y.mul(torch.tensor(w as number[][], { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(y, ref.y, 1e-10, 'output');
    assertClose((xt.grad as torch.Tensor).reshape(-1), ref.gx, 1e-10, 'input gradient');
    const fc0 = neck.mlp.at(0) as torch.nn.Linear;
    assertClose(fc0.weight.grad as torch.Tensor, ref.gw, 1e-10, 'mlp.0 weight gradient');
  });
  neck.dispose();
});
