import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LinearNeck, type LinearNeckOptions } from '../../../src/models/necks/linear-neck.js';
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

test('LinearNeck initCfg: MMSelfSup’s TruncNormal / Normal init_cfg for the fc (MaskFeat: std 0.02, bias 0)', () => {
  torch.manualSeed(2);
  const neck = (initCfg?: LinearNeckOptions['initCfg']) =>
    new LinearNeck({ inChannels: 256, outChannels: 108, withAvgPool: false, initCfg });
  const maskfeat = NECKS.buildAs(
    {
      type: 'LinearNeck',
      inChannels: 256,
      outChannels: 108,
      withAvgPool: false,
      initCfg: { type: 'TruncNormal', layer: 'Linear', std: 0.02, bias: 0 },
    },
    'neck',
    LinearNeck,
    'test',
  );
  const trunc = neck({ type: 'TruncNormal', std: 1 });
  const normal = neck({ type: 'Normal', std: 1, bias: 0.25 });
  const plain = neck();
  torch.tidy(() => {
    const std = (m: LinearNeck) => m.fc.weight.std().item();
    const max = (m: LinearNeck) => m.fc.weight.abs().max().item();
    assert.ok(Math.abs(std(maskfeat) - 0.02) < 0.001, `std ${std(maskfeat)}`);
    assert.equal(maskfeat.fc.bias?.abs().sum().item(), 0);
    // Truncated at ±2 (absolute, as mmengine): at std 1 nothing beyond 2 and the std of N(0, 1) cut at ±2, 0.8796.
    assert.ok(max(trunc) <= 2 && Math.abs(std(trunc) - 0.8796) < 0.02, `max ${max(trunc)}, std ${std(trunc)}`);
    assert.ok(max(normal) > 2 && Math.abs(std(normal) - 1) < 0.03, `Normal is not truncated: max ${max(normal)}`);
    assert.ok(normal.fc.bias?.eq(0.25).all().item());
    // Without it, PyTorch's Linear default: U(±1/√in) weights and biases.
    assert.ok(max(plain) <= 1 / 16 && plain.fc.bias?.abs().sum().item() !== 0);
  });
  assert.throws(
    () => NECKS.build({ type: 'LinearNeck', inChannels: 2, outChannels: 2, initCfg: { type: 'Xavier', std: 1 } }, 'neck'),
    /neck\.initCfg\.type/,
  );
  for (const m of [maskfeat, trunc, normal, plain]) m.dispose();
});
