/**
 * PCA-whitening and DeepCluster's preprocessing against scikit-learn's PCA (Debian python3-sklearn)
 * on fixed anisotropic data: components up to sign, eigenvalues (sklearn's explained_variance_ is
 * the N − 1 covariance; ours the N one, faiss's), and the whitening identity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { pcaApply, pcaFit, preprocessFeatures } from '../../src/analysis/pca.js';
import { assertClose, py } from '../helpers.js';

/** 200 points in 12 dims with very different variances along random directions (float64). */
function data(): torch.Tensor {
  return torch.tidy(() => {
    const g = new torch.Generator().manualSeed(3);
    const scales = torch.tensor([5, 4, 3, 2.5, 2, 1.5, 1.2, 1, 0.8, 0.5, 0.3, 0.1], { dtype: 'float64' });
    const z = torch.randn([200, 12], { generator: g, dtype: 'float64' }).mul(scales);
    const rot = torch.randn([12, 12], { generator: g, dtype: 'float64' });
    const [q] = torch.ops.aten.linalg_qr(rot);
    return torch.keep(z.mm(q).add(0.7));
  });
}

const X = data();
const ref = py<{ components: number[][]; var: number[]; mean: number[] }>(
  `
from sklearn.decomposition import PCA
X = T(D['x'])
p = PCA(n_components=5, svd_solver='full').fit(X.numpy())
OUT = {'components': p.components_.tolist(), 'var': p.explained_variance_.tolist(), 'mean': p.mean_.tolist()}
`,
  { x: X.toList() },
);

test('pcaFit: mean, components (up to sign) and eigenvalues equal scikit-learn’s PCA', () => {
  const fit = pcaFit(X, { dim: 5, eigenPower: 0 });
  assertClose(fit.mean, ref.mean, 1e-10, 'mean');
  const comps = fit.components.toList() as number[][];
  comps.forEach((row, i) => {
    const dot = row.reduce((s, v, j) => s + v * ref.components[i][j], 0);
    const sign = Math.sign(dot);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-8, `component ${i}: |cos| = ${Math.abs(dot)}`);
    assertClose(
      row.map((v) => v * sign),
      ref.components[i],
      1e-8,
      `component ${i}`,
    );
  });
  // sklearn divides by N − 1, faiss (and we) by N.
  assertClose(
    fit.eigenvalues,
    ref.var.map((v) => (v * 199) / 200),
    1e-8,
    'eigenvalues',
  );
});

test('pcaApply with eigenPower −0.5 whitens: the output covariance (÷N) is the identity, the mean 0', () => {
  const fit = pcaFit(X, { dim: 6 });
  const y = pcaApply(fit, X);
  torch.tidy(() => {
    const c = y.sub(y.mean(0));
    assertClose(c.t().mm(c).div(200), torch.eye(6, 6, { dtype: 'float64' }), 1e-9, 'covariance');
    assertClose(y.mean(0), torch.zeros([6], { dtype: 'float64' }), 1e-9, 'mean');
  });
});

test('preprocessFeatures: whitened PCA then unit rows; equals sklearn PCA(whiten) rescaled and normalised', () => {
  const ours = preprocessFeatures(X, 5);
  const expected = py<number[][]>(
    `
from sklearn.decomposition import PCA
import numpy as np
X = np.array(D['x'])
y = PCA(n_components=5, whiten=True, svd_solver='full').fit_transform(X)
y = y / (np.linalg.norm(y, axis=1, keepdims=True) + 1e-10)
OUT = y.tolist()
`,
    { x: X.toList() },
  );
  torch.tidy(() => {
    assertClose(ours.norm(2, 1), torch.ones([200], { dtype: 'float64' }), 1e-9, 'row norms');
    // Columns agree up to one sign per component.
    const e = torch.tensor(expected, { dtype: 'float64' });
    const sign = ours.mul(e).sum(0).sign();
    assertClose(ours.mul(sign), e, 1e-7, 'rows');
  });
});

test('pcaFit: a pcaDim above the feature width is a RangeError naming pcaDim', () => {
  assert.throws(() => pcaFit(X, { dim: 13 }), /pcaDim.*\[1, 12\]/);
  assert.throws(() => preprocessFeatures(torch.zeros([4, 3, 2]), 2), /\(N, D\)/);
});
