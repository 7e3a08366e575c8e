import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LatentCrossCorrelationHead } from '../../../src/models/heads/latent-cross-correlation-head.js';
import { CrossCorrelationLoss, offDiagonal } from '../../../src/models/losses/cross-correlation.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

const c = pseudo([6, 6], 5);
const a = pseudo([6, 5], 7);
const b = pseudo([6, 5], 8);

/** PyTorch references for the whole file, from one python run. */
const REF = py<{ loss: { loss: number; grad: number[][] }; head: { loss: number; ga: number[][]; gb: number[][] } }>(
  `
def barlow(C):
    n = C.shape[0]
    on = ((torch.diagonal(C) - 1) ** 2).sum()
    off = (C.flatten()[:-1].view(n - 1, n + 1)[:, 1:] ** 2).sum()
    return on + 0.0051 * off
C = T(D['c']).requires_grad_(True)
eye = torch.eye(6, dtype=torch.float64)
loss = ((torch.diagonal(C) - 1) ** 2).sum() + 0.0051 * ((C * (1 - eye)) ** 2).sum()
loss.backward()
bn = torch.nn.BatchNorm1d(5, affine=False).double()
A = T(D['a']).requires_grad_(True); B = T(D['b']).requires_grad_(True)
hl = barlow(bn(A).T @ bn(B) / 6)
hl.backward()
OUT = {'loss': {'loss': loss, 'grad': C.grad}, 'head': {'loss': hl, 'ga': A.grad, 'gb': B.grad}}`,
  { c, a, b },
);

test('offDiagonal lists a square matrix without its diagonal, row by row', () => {
  torch.tidy(() => {
    assert.deepEqual(offDiagonal(torch.arange(9).reshape([3, 3])).toList(), [1, 2, 3, 5, 6, 7]);
    assert.throws(() => offDiagonal(torch.zeros([2, 3])), /square/);
  });
});

test('CrossCorrelationLoss: the identity costs 0, the zero matrix D, and a random C matches Σ(1−Cᵢᵢ)² + λΣCᵢⱼ² in PyTorch', () => {
  const ref = REF.loss;
  torch.tidy(() => {
    const loss = new CrossCorrelationLoss();
    assert.equal(loss.lambd, 0.0051);
    assertClose(loss.forward(torch.eye(6, 6, { dtype: 'float64' })).item(), 0, 0, 'identity');
    assertClose(loss.forward(torch.zeros([6, 6], { dtype: 'float64' })).item(), 6, 1e-12, 'zeros: D');
    const ct = f64(c).requiresGrad_(true);
    const l = loss.forward(ct);
    l.backward();
    assertClose(l.item(), ref.loss, 1e-12, 'loss');
    assertClose(ct.grad as torch.Tensor, ref.grad, 1e-12, 'gradient');
  });
  gradCheck((m) => new CrossCorrelationLoss({ lambd: 0.3 }).forward(m).reshape([1]), [f64(pseudo([4, 4], 6))]);
});

/** The first columns of the 8×8 Sylvester–Hadamard matrix but the all-ones one: ±1, mean 0, orthogonal. */
function whitened(d: number): number[][] {
  const h = (i: number, j: number) => {
    let b = i & j;
    let s = 0;
    while (b) {
      s ^= b & 1;
      b >>= 1;
    }
    return s ? -1 : 1;
  };
  return Array.from({ length: 8 }, (_, i) => Array.from({ length: d }, (_, j) => h(i, j + 1)));
}

test('LatentCrossCorrelationHead: identical whitened embeddings give C = I and a loss of (almost) 0', () => {
  torch.tidy(() => {
    const head = HEADS.build({ type: 'LatentCrossCorrelationHead', inChannels: 4 }, 'head');
    assert.ok(head instanceof LatentCrossCorrelationHead);
    const z = f64(whitened(4));
    head.to('float64');
    const c = head.crossCorrelation(z, z);
    // BN divides by √(1 + ε) with ε = 1e-5, so C = I/(1 + ε).
    assertClose(c, torch.eye(4, 4, { dtype: 'float64' }).div(1 + 1e-5), 1e-12, 'C');
    assert.ok(head.forward(z, z).item() < 1e-8);
    assert.deepEqual(Object.keys(head.stateDict()), ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  });
});

test('LatentCrossCorrelationHead matches BatchNorm1d(affine=False) + Barlow Twins loss in PyTorch, with gradients', () => {
  const ref = REF.head;
  torch.tidy(() => {
    const head = new LatentCrossCorrelationHead({ inChannels: 5 }).to('float64');
    const at = f64(a).requiresGrad_(true);
    const bt = f64(b).requiresGrad_(true);
    const l = head.forward(at, bt);
    l.backward();
    assertClose(l.item(), ref.loss, 1e-10, 'loss');
    assertClose(at.grad as torch.Tensor, ref.ga, 1e-9, 'gradient of view 1');
    assertClose(bt.grad as torch.Tensor, ref.gb, 1e-9, 'gradient of view 2');
  });
});
