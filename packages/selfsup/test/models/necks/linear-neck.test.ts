import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LinearNeck } from '../../../src/models/necks/linear-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test('LinearNeck (MoCo v1): avg-pool → fc matches PyTorch with copied weights, output and gradients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-linneck-'));
  torch.manualSeed(1);
  const neck = NECKS.buildAs({ type: 'LinearNeck', inChannels: 6, outChannels: 4 }, 'neck', LinearNeck, 'test').to('float64');
  const ckpt = join(dir, 'neck.pth');
  torch.save(neck.stateDict(), ckpt);
  const x = pseudo([3, 6, 2, 3], 5);
  const w = pseudo([3, 4], 6);
  const ref = py<{ keys: string[]; y: number[][]; gx: number[]; gw: number[][] }>(
    `m = torch.nn.Module(); m.fc = torch.nn.Linear(6, 4); m.load_state_dict(torch.load(D['ckpt'])); m.double()
x = T(D['x']).requires_grad_(True)
y = m.fc(torch.nn.functional.adaptive_avg_pool2d(x, 1).view(3, -1)); (y * T(D['w'])).sum().backward()
OUT = {'keys': list(m.state_dict().keys()), 'y': y, 'gx': x.grad.reshape(-1), 'gw': m.fc.weight.grad}`,
    { ckpt, x, w },
  );
  torch.tidy(() => {
    assert.deepEqual(Object.keys(neck.stateDict()), ref.keys);
    const xt = torch.tensor(x as number[][][][], { dtype: 'float64' }).requiresGrad_(true);
    const [y] = neck.forward([xt]);
    y.mul(torch.tensor(w as number[][], { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(y, ref.y, 1e-10, 'output');
    assertClose((xt.grad as torch.Tensor).reshape(-1), ref.gx, 1e-10, 'input gradient');
    assertClose(neck.fc.weight.grad as torch.Tensor, ref.gw, 1e-10, 'fc weight gradient');
    // Without pooling a feature vector goes straight into the fc.
    const flat = new LinearNeck({ inChannels: 6, outChannels: 4, withAvgPool: false }).to('float64');
    flat.loadStateDict(neck.stateDict());
    assertClose(flat.forward([xt.mean([2, 3])])[0], ref.y, 1e-10, 'pre-pooled input');
    assert.throws(() => neck.forward([xt, xt]), /one backbone output/);
    flat.dispose();
  });
  neck.dispose();
});
