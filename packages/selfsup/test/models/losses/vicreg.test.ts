import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { VICRegHead } from '../../../src/models/heads/vicreg-head.js';
import { VICRegLoss } from '../../../src/models/losses/vicreg.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

test('VICRegLoss matches the official formula in PyTorch (each term, the total, gradients)', () => {
  const x = pseudo([6, 5], 1);
  const y = pseudo([6, 5], 2);
  // The official VICReg code (facebookresearch/vicreg main_vicreg.py), re-stated.
  const ref = py<{ sim: number; std: number; cov: number; loss: number; gx: number[][]; gy: number[][] }>(
    `
import torch.nn.functional as F
def off_diagonal(x):
    n, m = x.shape
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()
X = T(D['x']).requires_grad_(True); Y = T(D['y']).requires_grad_(True)
N, Dm = X.shape
repr_loss = F.mse_loss(X, Y)
x = X - X.mean(dim=0); y = Y - Y.mean(dim=0)
std_x = torch.sqrt(x.var(dim=0) + 0.0001); std_y = torch.sqrt(y.var(dim=0) + 0.0001)
std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
cov_x = (x.T @ x) / (N - 1); cov_y = (y.T @ y) / (N - 1)
cov_loss = off_diagonal(cov_x).pow(2).sum().div(Dm) + off_diagonal(cov_y).pow(2).sum().div(Dm)
loss = 25 * repr_loss + 25 * std_loss + 1 * cov_loss
loss.backward()
OUT = {'sim': repr_loss, 'std': std_loss, 'cov': cov_loss, 'loss': loss, 'gx': X.grad, 'gy': Y.grad}`,
    { x, y },
  );
  torch.tidy(() => {
    const loss = new VICRegLoss();
    const xt = f64(x).requiresGrad_(true);
    const yt = f64(y).requiresGrad_(true);
    const t = loss.terms(xt, yt);
    t.loss.backward();
    assertClose(t.sim.item(), ref.sim, 1e-12, 'invariance');
    assertClose(t.std.item(), ref.std, 1e-12, 'variance');
    assertClose(t.cov.item(), ref.cov, 1e-12, 'covariance');
    assertClose(t.loss.item(), ref.loss, 1e-12, 'total');
    assertClose(xt.grad as torch.Tensor, ref.gx, 1e-10, 'gradient x');
    assertClose(yt.grad as torch.Tensor, ref.gy, 1e-10, 'gradient y');
  });
});

test('VICRegLoss: identical whitened views cost 0; a collapsed batch costs 25·(1 − √ε)', () => {
  torch.tidy(() => {
    // ±1 columns of a Hadamard matrix: mean 0, unbiased variance 8/7 > 1, mutually orthogonal.
    const h = f64([
      [1, 1, 1],
      [-1, 1, -1],
      [1, -1, -1],
      [-1, -1, 1],
      [1, 1, 1],
      [-1, 1, -1],
      [1, -1, -1],
      [-1, -1, 1],
    ]);
    const loss = new VICRegLoss();
    const t = loss.terms(h, h);
    assert.equal(t.sim.item(), 0);
    assert.equal(t.std.item(), 0);
    assertClose(t.cov.item(), 0, 1e-15, 'orthogonal columns');
    const flat = torch.full([4, 3], 0.7, { dtype: 'float64' });
    const c = loss.terms(flat, flat);
    assertClose(c.std.item(), 1 - Math.sqrt(1e-4), 1e-12, 'variance hinge of a constant');
    assertClose(c.loss.item(), 25 * (1 - Math.sqrt(1e-4)), 1e-12, 'total');
  });
});

test('VICRegLoss gradients match finite differences; VICRegHead applies it', () => {
  const l = new VICRegLoss({ simCoeff: 2, stdCoeff: 3, covCoeff: 0.5, gamma: 1.5 });
  gradCheck((x, y) => l.forward(x, y).reshape([1]), [f64(pseudo([5, 4], 3)), f64(pseudo([5, 4], 4))]);
  torch.tidy(() => {
    const head = HEADS.build({ type: 'VICRegHead' }, 'head');
    assert.ok(head instanceof VICRegHead);
    const x = f64(pseudo([5, 4], 5));
    const y = f64(pseudo([5, 4], 6));
    assertClose(head.forward(x, y).item(), new VICRegLoss().forward(x, y).item(), 0, 'head = loss');
    assert.throws(() => HEADS.build({ type: 'VICRegHead', loss: { type: 'CrossCorrelationLoss' } }, 'head'), /head\.loss\.type/);
  });
});
