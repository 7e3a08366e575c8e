/**
 * The sparse layers of SparK (Tian et al. 2023) against PyTorch: SparseBatchNorm2d against
 * mmpretrain's formulation (BatchNorm1d over the gathered `(n_active, C)` rows, scattered back
 * into zeros) — outputs, input/affine gradients, running statistics after two steps and the
 * evaluation output, in float64 — plus the identities that define the emulation: inactive
 * positions are zero after every layer, and a BN's statistics ignore what the inactive positions
 * hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import {
  SparseActiveMask,
  SparseBatchNorm2d,
  SparseConv2d,
  SparseMaxPool2d,
} from '../../../src/models/backbones/sparse-modules.js';
import { assertClose, py } from '../../helpers.js';

const N = 3;
const C = 4;
const H = 8;
/** A fixed (N, 1, 2, 2) active mask: 1, 2 and 3 visible cells of 4. */
const ACTIVE = [
  [
    [
      [1, 0],
      [0, 0],
    ],
  ],
  [
    [
      [0, 1],
      [1, 0],
    ],
  ],
  [
    [
      [1, 1],
      [0, 1],
    ],
  ],
];

function inputs() {
  const g = new torch.Generator().manualSeed(3);
  const x = torch.randn([N, C, H, H], { generator: g, dtype: 'float64' }).mul(2).add(0.5);
  const grad = torch.randn([N, C, H, H], { generator: g, dtype: 'float64' });
  const w = torch.rand([C], { generator: g, dtype: 'float64' }).add(0.5);
  const b = torch.randn([C], { generator: g, dtype: 'float64' });
  return torch.keep({ x, grad, w, b, active: torch.tensor(ACTIVE.flat(3), { shape: [N, 1, 2, 2] }).to({ dtype: 'bool' }) });
}

test('SparseBatchNorm2d equals BatchNorm1d over the active rows (mmpretrain): output, gradients, running statistics, eval', () => {
  const { x, grad, w, b, active } = inputs();
  const mask = new SparseActiveMask();
  const bn = new SparseBatchNorm2d(mask, C).to('float64');
  torch.noGrad(() => {
    bn.weight?.copy_(w);
    bn.bias?.copy_(b);
  });
  const xg = x.clone().requiresGrad_(true);
  const ours = torch.tidy(() =>
    mask.with(active, () => {
      bn.forward(x.mul(0.5)); // a first step, so the running statistics mix two batches
      const y = bn.forward(xg);
      y.mul(grad).sum().backward();
      bn.eval();
      const e = bn.forward(x);
      bn.train();
      return torch.keep({ y, e });
    }),
  );
  const ref = py<Record<string, number[]>>(
    `
bn = torch.nn.BatchNorm1d(${C}).double()
with torch.no_grad():
    bn.weight.copy_(T(D['w'])); bn.bias.copy_(T(D['b']))
x, g = T(D['x']), T(D['g'])
a = torch.tensor(D['active'], dtype=torch.bool)
idx = a.repeat_interleave(${H / 2}, 2).repeat_interleave(${H / 2}, 3).squeeze(1).nonzero(as_tuple=True)
def sbn(x):
    xp = x.permute(0, 2, 3, 1)
    out = torch.zeros_like(xp)
    out[idx] = bn(xp[idx])
    return out.permute(0, 3, 1, 2)
sbn(x * 0.5)
xg = x.clone().requires_grad_(True)
y = sbn(xg)
(y * g).sum().backward()
bn.eval()
with torch.no_grad():
    e = sbn(x)
OUT = {'y': y, 'e': e, 'gx': xg.grad, 'gw': bn.weight.grad, 'gb': bn.bias.grad, 'rm': bn.running_mean, 'rv': bn.running_var,
       'nbt': [bn.num_batches_tracked.item()]}`,
    {
      x: x.toList(),
      g: grad.toList(),
      w: w.toList(),
      b: b.toList(),
      active: ACTIVE,
    },
  );
  assertClose(ours.y, ref.y, 1e-12, 'output');
  assertClose(xg.grad as torch.Tensor, ref.gx, 1e-12, 'input gradient');
  assertClose(bn.weight?.grad as torch.Tensor, ref.gw, 1e-12, 'γ gradient');
  assertClose(bn.bias?.grad as torch.Tensor, ref.gb, 1e-12, 'β gradient');
  assertClose(bn.runningMean as torch.Tensor, ref.rm, 1e-12, 'running mean');
  assertClose(bn.runningVar as torch.Tensor, ref.rv, 1e-12, 'running variance (unbiased over the active rows)');
  assert.equal((bn.numBatchesTracked as torch.Tensor).item(), ref.nbt[0]);
  assertClose(ours.e, ref.e, 1e-12, 'evaluation output');
  // Statistics over every position would differ: the comparison can fail.
  const dense = torch.tidy(() =>
    torch.noGrad(() => {
      const m = active.to({ dtype: 'float64' }).repeatInterleave(4, 2).repeatInterleave(4, 3);
      return torch.F.batchNorm(x, null, null, { weight: w, bias: b, training: true }).mul(m).sub(ours.y).abs().max().item();
    }),
  );
  assert.ok(dense > 1e-2, `dense statistics differ by ${dense}`);
});

test('SparseBatchNorm2d: the statistics ignore the inactive positions, which stay zero', () => {
  const { x, active } = inputs();
  const mask = new SparseActiveMask();
  const run = (input: torch.Tensor) => {
    const bn = new SparseBatchNorm2d(mask, C).to('float64');
    const y = torch.tidy(() => mask.with(active, () => bn.forward(input)));
    const rm = (bn.runningMean as torch.Tensor).clone();
    bn.dispose();
    return { y, rm };
  };
  const m = torch.tidy(() => active.to({ dtype: 'float64' }).repeatInterleave(4, 2).repeatInterleave(4, 3));
  const a = run(x);
  const b = run(torch.tidy(() => x.add(torch.randn(x.shape, { dtype: 'float64' }).mul(10).mul(m.neg().add(1)))));
  assertClose(b.y, a.y, 1e-12, 'output with other values at inactive positions');
  assertClose(b.rm, a.rm, 1e-12, 'running mean');
  assert.equal(
    torch.tidy(() => a.y.mul(m.neg().add(1)).abs().max().item()),
    0,
  );
});

test('SparseConv2d and SparseMaxPool2d zero the inactive positions at their output resolution; without a mask they are dense', () => {
  const { x, active } = inputs();
  const mask = new SparseActiveMask();
  const conv = new SparseConv2d(mask, C, 5, 3, { stride: 2, padding: 1 }).to('float64');
  const pool = new SparseMaxPool2d(mask, 3, { stride: 2, padding: 1 });
  torch.tidy(() => {
    const dense = conv.forward(x);
    const sparse = mask.with(active, () => conv.forward(x));
    const m4 = active.to({ dtype: 'float64' }).repeatInterleave(2, 2).repeatInterleave(2, 3);
    assertClose(sparse, dense.mul(m4), 0, 'conv = dense conv × the mask at 4×4');
    const pooled = mask.with(active, () => pool.forward(x));
    assertClose(pooled, torch.F.maxPool2d(x, 3, { stride: 2, padding: 1 }).mul(m4), 0, 'max-pool');
    assert.throws(() => mask.with(active, () => conv.forward(x.narrow(2, 0, 6))), /SparseConv2d: a \[3,5,3,4\] map cannot take/);
  });
  assert.equal(mask.current, null, 'the mask is cleared after use');
});
