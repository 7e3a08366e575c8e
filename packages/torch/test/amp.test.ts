import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, pseudo, py } from './helpers.js';

const F = torch.F;

/** The Python side's device for a reference: CUDA references need a CUDA PyTorch (the GPU machine's). */
const DEVICES: { device: 'cpu' | 'cuda'; dtype: 'bfloat16' | 'float16' }[] = [
  { device: 'cpu', dtype: 'bfloat16' },
  ...(torch.cuda.isAvailable()
    ? [
        { device: 'cuda' as const, dtype: 'float16' as const },
        { device: 'cuda' as const, dtype: 'bfloat16' as const },
      ]
    : []),
];

const DATA = {
  x: pseudo([4, 3, 6, 6], 1),
  w1: pseudo([5, 3, 3, 3], 2),
  b1: pseudo([5], 3),
  w2: pseudo([7, 80], 4),
  b2: pseudo([7], 5),
  q: pseudo([2, 4, 6], 6),
  y: [1, 0, 6, 3],
};

/**
 * A forward pass through ops from autocast's three lists (lower precision: conv, linear, bmm;
 * float32: layer_norm-adjacent losses; promote: add of mixed dtypes), recording each output's dtype.
 */
function forward(dev: string) {
  const t = (v: unknown) => torch.tensor(v as number[]).to(dev);
  const x = t(DATA.x);
  const w1 = t(DATA.w1).detach().requiresGrad_();
  const b1 = t(DATA.b1).detach().requiresGrad_();
  const w2 = t(DATA.w2).detach().requiresGrad_();
  const b2 = t(DATA.b2).detach().requiresGrad_();
  const q = t(DATA.q);
  const y = torch.tensor(DATA.y, { dtype: 'int64' }).to(dev);
  const h = F.relu(F.conv2d(x, w1, b1));
  const flat = h.flatten(1);
  const logits = F.linear(flat, w2, b2);
  const ln = F.layerNorm(logits, [7]);
  const logp = F.logSoftmax(ln, 1);
  const nll = F.nllLoss(logp, y);
  const att = q.bmm(q.transpose(1, 2));
  const mixed = att.add(torch.ones([2, 4, 4]).to(dev));
  const mse = F.mseLoss(logits, torch.zeros([4, 7]).to(dev));
  const loss = nll.add(mse).add(mixed.mean());
  return { h, logits, ln, logp, nll, att, mixed, mse, loss, params: [w1, b1, w2, b2] };
}

const PY_FORWARD = `
import torch.nn.functional as F
dev = D['device']
def t(v): return torch.tensor(v, dtype=torch.float32, device=dev)
x = t(D['x'])
w1, b1, w2, b2 = [t(D[k]).requires_grad_() for k in ('w1', 'b1', 'w2', 'b2')]
q = t(D['q'])
y = torch.tensor(D['y'], device=dev)
with torch.autocast(device_type=dev, dtype=getattr(torch, D['dtype'])):
    h = F.relu(F.conv2d(x, w1, b1))
    logits = F.linear(h.flatten(1), w2, b2)
    ln = F.layer_norm(logits, [7])
    logp = F.log_softmax(ln, 1)
    nll = F.nll_loss(logp, y)
    att = q.bmm(q.transpose(1, 2))
    mixed = att + torch.ones(2, 4, 4, device=dev)
    mse = F.mse_loss(logits, torch.zeros(4, 7, device=dev))
    loss = nll + mse + mixed.mean()
loss.backward()
names = ['h', 'logits', 'ln', 'logp', 'nll', 'att', 'mixed', 'mse', 'loss']
vals = dict(h=h, logits=logits, ln=ln, logp=logp, nll=nll, att=att, mixed=mixed, mse=mse, loss=loss)
OUT = {'dtypes': {k: str(vals[k].dtype).replace('torch.', '') for k in names},
       'values': {k: vals[k].float() for k in names},
       'grads': [p.grad for p in (w1, b1, w2, b2)]}
`;

for (const { device, dtype } of DEVICES) {
  test(`autocast('${device}', ${dtype}) casts each op as torch.autocast does: output dtypes, values and gradients`, () => {
    const ref = py<{ dtypes: Record<string, string>; values: Record<string, number[]>; grads: number[][] }>(PY_FORWARD, {
      ...DATA,
      device,
      dtype,
    });
    const out = torch.autocast(device, { dtype }, () => forward(device));
    out.loss.backward();
    const names = ['h', 'logits', 'ln', 'logp', 'nll', 'att', 'mixed', 'mse', 'loss'] as const;
    for (const k of names) assert.equal(out[k].dtype, ref.dtypes[k], `${k}'s dtype`);
    // At least one op really ran in low precision (else the test would pass with autocast off).
    assert.ok(Object.values(ref.dtypes).includes(dtype));
    // Same kernels on both sides (the same libtorch): low-precision rounding agrees closely.
    for (const k of names) assertClose(out[k].float().cpu(), ref.values[k] as never, 2e-2, k);
    out.params.forEach((p, i) => {
      assert.equal(p.grad?.dtype, 'float32', 'parameter gradients stay float32');
      assertClose((p.grad as torch.Tensor).cpu(), ref.grads[i] as never, 2e-2, `grad ${i}`);
    });
  });
}

test('autocast regions nest, an enabled: false island runs in float32, and the state is restored after a throw', () => {
  const a = torch.tensor(pseudo([3, 4], 7) as number[][]);
  const w = torch.tensor(pseudo([2, 4], 8) as number[][]);
  assert.deepEqual(torch.autocastState('cpu').enabled, false);
  const [outer, inner, after] = torch.autocast('cpu', () => {
    const o = F.linear(a, w).dtype;
    const i = torch.autocast('cpu', { enabled: false }, () => F.linear(a, w).dtype);
    return [o, i, F.linear(a, w).dtype];
  });
  assert.deepEqual([outer, inner, after], ['bfloat16', 'float32', 'bfloat16']);
  assert.throws(
    () =>
      torch.autocast('cpu', () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.deepEqual(torch.autocastState('cpu'), { enabled: false, dtype: 'bfloat16' });
  assert.equal(F.linear(a, w).dtype, 'float32');
});

test('autocast rejects a device or dtype PyTorch has no autocast for, and async functions', () => {
  assert.throws(() => torch.autocast('mps' as 'cpu', () => 0), /deviceType must be 'cpu' or 'cuda'/);
  assert.throws(() => torch.autocast('cpu', { dtype: 'float64' }, () => 0), /float64 is not a low-precision dtype/);
  assert.throws(() => torch.autocast('cpu', async () => 0), /must be synchronous/);
  assert.equal(torch.autocastState('cpu').enabled, false);
});
