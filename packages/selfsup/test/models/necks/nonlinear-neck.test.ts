import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { type NonLinearNeckOptions, NonLinearNeck } from '../../../src/models/necks/nonlinear-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-nlneck-'));

/** MMSelfSup's NonLinearNeck re-stated in PyTorch (fc-bn-[relu-fc-bn]), loaded with our weights. */
const PY_NECK = `
import torch.nn as nn
class NLN(nn.Module):
    def __init__(s, o):
        super().__init__()
        L = o.get('numLayers', 2); wb = o.get('withBias', False)
        s.pool = o.get('withAvgPool', True); s.vit = o.get('vitBackbone', False)
        s.fc0 = nn.Linear(o['inChannels'], o['hidChannels'], bias=wb); s.bn0 = nn.BatchNorm1d(o['hidChannels'])
        s.names = []
        for i in range(1, L):
            last = i == L - 1
            c = o['outChannels'] if last else o['hidChannels']
            s.add_module(f'fc{i}', nn.Linear(o['hidChannels'], c, bias=o.get('withLastBias', False) if last else wb))
            if not last or o.get('withLastBn', True):
                s.add_module(f'bn{i}', nn.BatchNorm1d(c, affine=o.get('withLastBnAffine', True) if last else True))
                s.names.append((f'fc{i}', f'bn{i}'))
            else:
                s.names.append((f'fc{i}', None))
    def forward(s, x):
        if s.vit and x.dim() == 3: x = x[:, 0]
        if s.pool and x.dim() == 4: x = nn.functional.adaptive_avg_pool2d(x, 1)
        x = s.bn0(s.fc0(x.reshape(x.size(0), -1)))
        for f, b in s.names:
            x = getattr(s, f)(torch.relu(x))
            if b: x = getattr(s, b)(x)
        return x
`;

interface Ref {
  keys: string[];
  train: number[][];
  eval: number[][];
  gx: number[];
  gw: number[][];
  runningMean: number[];
  /** The input and the output weights the reference used. */
  x: number[];
  w: number[][];
}

interface Case {
  name: string;
  opts: NonLinearNeckOptions;
  inputShape: number[];
}

/** MMSelfSup's settings for SimCLR, BYOL, SimSiam, a 1-layer neck and MoCo v3's ViT projector. */
const CASES: Case[] = [
  { name: 'simclr', opts: { inChannels: 6, hidChannels: 10, outChannels: 4 }, inputShape: [5, 6, 3, 3] },
  {
    name: 'byol',
    opts: { inChannels: 6, hidChannels: 12, outChannels: 5, withBias: true, withLastBn: false, normCfg: { type: 'BN1d' } },
    inputShape: [4, 6, 2, 2],
  },
  {
    name: 'simsiam',
    opts: { inChannels: 6, hidChannels: 8, outChannels: 8, numLayers: 3, withLastBnAffine: false, withLastBias: true },
    inputShape: [6, 6, 2, 3],
  },
  { name: 'one-layer', opts: { inChannels: 6, hidChannels: 7, outChannels: 3, numLayers: 1 }, inputShape: [4, 6, 2, 2] },
  {
    name: 'vit-tokens',
    opts: { inChannels: 5, hidChannels: 9, outChannels: 4, numLayers: 3, withAvgPool: false, vitBackbone: true },
    inputShape: [4, 3, 5],
  },
];

const numOut = (c: Case) => (c.opts.numLayers === 1 ? c.opts.hidChannels : c.opts.outChannels);

/** Builds every case's neck (random BN affine so γ/β take part), saves its weights, and asks PyTorch once. */
function references(): { necks: NonLinearNeck[]; refs: Ref[] } {
  torch.manualSeed(3);
  const necks = CASES.map((c) => NECKS.buildAs({ type: 'NonLinearNeck', ...c.opts }, 'neck', NonLinearNeck, 'test'));
  torch.noGrad(() => {
    for (const neck of necks)
      for (const m of neck.modules())
        if (m instanceof torch.nn.BatchNorm1d || m instanceof torch.nn.SyncBatchNorm) {
          m.weight?.uniform_(0.5, 1.5);
          m.bias?.uniform_(-0.3, 0.3);
        }
  });
  const data = CASES.map((c, i) => {
    const ckpt = join(dir, `${c.name}.pth`);
    torch.save(necks[i].stateDict(), ckpt);
    return { opts: c.opts, ckpt, x: pseudo(c.inputShape, 11 + i), w: pseudo([c.inputShape[0], numOut(c)], 31 + i) };
  });
  const refs = py<Omit<Ref, 'x' | 'w'>[]>(
    `${PY_NECK}
OUT = []
for c in D['cases']:
    sd = torch.load(c['ckpt'])
    m = NLN(c['opts']); m.load_state_dict(sd); m.double()
    assert list(m.state_dict().keys()) == list(sd.keys()), (list(m.state_dict().keys()), list(sd.keys()))
    x = T(c['x']).requires_grad_(True)
    y = m(x); (y * T(c['w'])).sum().backward()
    rm = m.bn0.running_mean.clone()
    m.eval()
    OUT.append({'keys': list(sd.keys()), 'train': y, 'eval': m(x), 'gx': x.grad.reshape(-1), 'gw': m.fc0.weight.grad, 'runningMean': rm})`,
    { cases: data },
  );
  return { necks, refs: refs.map((r, i) => ({ ...r, x: data[i].x as number[], w: data[i].w as number[][] })) };
}

test('NonLinearNeck matches a PyTorch re-statement (SimCLR, BYOL, SimSiam, 1-layer, ViT) in train and eval, with gradients', () => {
  const { necks, refs } = references();
  CASES.forEach((c, i) => {
    const neck = necks[i];
    const ref = refs[i];
    torch.tidy(() => {
      // PyTorch's own key list: python built MMSelfSup's structure and loaded our file strictly.
      assert.deepEqual(Object.keys(neck.stateDict()), ref.keys, `${c.name}: state-dict keys`);
      neck.to('float64').train();
      const xt = torch.tensor(ref.x, { dtype: 'float64' }).reshape(c.inputShape).requiresGrad_(true);
      const [y] = neck.forward([xt]);
      assert.deepEqual(y.shape, [c.inputShape[0], numOut(c)]);
      y.mul(torch.tensor(ref.w, { dtype: 'float64' }))
        .sum()
        .backward();
      assertClose(y, ref.train, 1e-9, `${c.name}: train-mode output`);
      assertClose((xt.grad as torch.Tensor).reshape(-1), ref.gx, 1e-9, `${c.name}: input gradient`);
      assertClose(neck.fcs[0].weight.grad as torch.Tensor, ref.gw, 1e-9, `${c.name}: fc0 weight gradient`);
      assertClose(neck.bns[0]?.runningMean as torch.Tensor, ref.runningMean, 1e-9, `${c.name}: bn0 running mean`);
      neck.eval();
      assertClose(
        torch.noGrad(() => neck.forward([xt])[0]),
        ref.eval,
        1e-9,
        `${c.name}: eval-mode output`,
      );
    });
    neck.dispose();
  });
});

test("NonLinearNeck structure: SimSiam's last BN has no affine, BYOL's has none at all, biases where configured", () => {
  const simsiam = new NonLinearNeck({ ...CASES[2].opts });
  assert.equal(simsiam.bns[2]?.weight, null);
  assert.ok(simsiam.fcs[2].bias && simsiam.fcs[0].bias === null);
  const byol = new NonLinearNeck({ ...CASES[1].opts });
  assert.equal(byol.bns[1], null);
  assert.ok(byol.fcs[0].bias && byol.fcs[1].bias === null);
  assert.ok(byol.bns[0] instanceof torch.nn.BatchNorm1d && !(byol.bns[0] instanceof torch.nn.SyncBatchNorm));
  simsiam.dispose();
  byol.dispose();
});

test('NonLinearNeck with vitBackbone uses the class token (token 0 of (N, 1+L, C), or an (N, C) token)', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const neck = new NonLinearNeck({
      inChannels: 5,
      hidChannels: 9,
      outChannels: 4,
      vitBackbone: true,
      withAvgPool: false,
    }).eval();
    const tokens = torch.randn([4, 3, 5]);
    const a = neck.forward([tokens])[0];
    const b = neck.forward([tokens.select(1, 0)])[0];
    assertClose(a, b.toList() as number[][], 1e-6, 'cls token path');
    const cnn = new NonLinearNeck({ inChannels: 5, hidChannels: 9, outChannels: 4 });
    assert.throws(() => cnn.forward([tokens]), /vitBackbone/);
    neck.dispose();
    cnn.dispose();
  });
});

test('NonLinearNeck keys, defaults and config errors follow MMSelfSup', () => {
  const neck = NECKS.buildAs(
    { type: 'NonLinearNeck', inChannels: 8, hidChannels: 16, outChannels: 4 },
    'neck',
    NonLinearNeck,
    'test',
  );
  assert.deepEqual(
    Object.keys(neck.stateDict()).filter((k) => k.endsWith('weight')),
    ['fc0.weight', 'bn0.weight', 'fc1.weight', 'bn1.weight'],
  );
  assert.ok(neck.bns[0] instanceof torch.nn.SyncBatchNorm, 'SyncBN is the default norm');
  assert.equal(neck.fcs[0].bias, null);
  assert.equal(neck.fcs[1].bias, null);
  neck.dispose();
  assert.throws(
    () => NECKS.build({ type: 'NonLinearNeck', inChannels: 8, hidChannels: 16, outChannels: 4, hidChanels: 3 }, 'model.neck'),
    /model\.neck\.hidChanels: unknown key; did you mean 'hidChannels'/,
  );
  assert.throws(
    () =>
      NECKS.build(
        { type: 'NonLinearNeck', inChannels: 8, hidChannels: 16, outChannels: 4, normCfg: { type: 'GN' } },
        'model.neck',
      ),
    /model\.neck\.normCfg\.type/,
  );
  assert.throws(() => neck.forward([]), /one backbone output/);
});
