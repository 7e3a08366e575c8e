/**
 * k-means against scikit-learn's Lloyd k-means (Debian python3-sklearn) from the same initial
 * centroids (`KMeans(init=C₀, n_init=1, algorithm='lloyd', tol=0)`): same centroids, labels and
 * objective (inertia); plus faiss's seeded initialisation (k distinct data points) and the
 * empty-cluster split.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { kmeans } from '../../src/analysis/kmeans.js';
import { assertClose, py } from '../helpers.js';

/** 300 points around 6 Gaussian blobs in 8 dims plus uniform noise points (float64). */
function blobs(): torch.Tensor {
  return torch.tidy(() => {
    const g = new torch.Generator().manualSeed(11);
    const centres = torch.randn([6, 8], { generator: g, dtype: 'float64' }).mul(3);
    const which = torch.randint(0, 6, [300], { generator: g });
    return torch.keep(centres.indexSelect(0, which).add(torch.randn([300, 8], { generator: g, dtype: 'float64' })));
  });
}

const X = blobs();

test('kmeans: centroids, labels and objective equal scikit-learn’s Lloyd k-means from the same initial centroids', () => {
  // Initial centroids deliberately poor (points of few blobs), so Lloyd needs several iterations.
  const init = torch.keep(X.narrow(0, 0, 6).clone());
  const ours = kmeans(X, { k: 6, niter: 50, init });
  const ref = py<{ centers: number[][]; labels: number[]; inertia: number; n_iter: number }>(
    `
from sklearn.cluster import KMeans
import numpy as np
X = np.array(D['x']); C = np.array(D['init'])
km = KMeans(n_clusters=6, init=C, n_init=1, max_iter=50, tol=0, algorithm='lloyd').fit(X)
OUT = {'centers': km.cluster_centers_.tolist(), 'labels': km.labels_.tolist(), 'inertia': float(km.inertia_), 'n_iter': int(km.n_iter_)}
`,
    { x: X.toList(), init: init.toList() },
  );
  assert.ok(ref.n_iter > 2, `sklearn converged in ${ref.n_iter} iterations; the data should need more`);
  assert.equal(ours.splits, 0);
  assertClose(ours.centroids, ref.centers, 1e-4, 'centroids');
  assert.deepEqual(ours.labels.toList(), ref.labels);
  assert.ok(Math.abs(ours.objective - ref.inertia) <= 1e-4 * ref.inertia, `objective ${ours.objective} vs ${ref.inertia}`);
  // Lloyd never increases the objective.
  for (let i = 1; i < ours.history.length; i++) assert.ok(ours.history[i] <= ours.history[i - 1] + 1e-9);
});

test('kmeans: the objective is Σ‖x − c(x)‖² of the returned labels and centroids (a hand computation)', () => {
  const r = kmeans(X, { k: 4, niter: 10, seed: 2 });
  const expected = torch.tidy(() => X.sub(r.centroids.indexSelect(0, r.labels)).pow(2).sum().item());
  assert.ok(Math.abs(r.objective - expected) < 1e-8 * expected);
  // Each point's label is its nearest centroid.
  const nearest = torch.tidy(() => torch.ops.aten.cdist(X, r.centroids, 2, 2).argmin(1).toList());
  assert.deepEqual(r.labels.toList(), nearest);
});

test('kmeans: the seeded initialisation takes k distinct data points (0 iterations returns them)', () => {
  const a = kmeans(X, { k: 5, niter: 0, seed: 7 });
  const b = kmeans(X, { k: 5, niter: 0, seed: 7 });
  const c = kmeans(X, { k: 5, niter: 0, seed: 8 });
  assert.deepEqual(a.centroids.toList(), b.centroids.toList());
  assert.notDeepEqual(a.centroids.toList(), c.centroids.toList());
  const rows = X.toList() as number[][];
  const keys = new Set((a.centroids.toList() as number[][]).map((r) => JSON.stringify(r)));
  assert.equal(keys.size, 5);
  for (const k of keys)
    assert.ok(
      rows.some((r) => JSON.stringify(r) === k),
      'a centroid is not a data point',
    );
});

test('kmeans: an empty cluster is split from a populated one (faiss’s split_clusters), no cluster stays empty', () => {
  // Two tight groups, and an initial centroid far from every point: its cluster is empty at once.
  const x = torch.keep(
    torch.tidy(() => {
      const g = new torch.Generator().manualSeed(1);
      const a = torch.randn([50, 2], { generator: g, dtype: 'float64' }).mul(0.1);
      const b = torch.randn([50, 2], { generator: g, dtype: 'float64' }).mul(0.1).add(5);
      return torch.cat([a, b]);
    }),
  );
  const init = torch.keep(
    torch.tensor(
      [
        [0, 0],
        [5, 5],
        [100, 100],
      ],
      { dtype: 'float64' },
    ),
  );
  const r = kmeans(x, { k: 3, niter: 5, init });
  assert.ok(r.splits >= 1);
  const sizes = torch.ops.aten.bincount(r.labels, null, 3).toList() as number[];
  assert.ok(
    sizes.every((s) => s > 0),
    `cluster sizes ${sizes}`,
  );
  assert.ok((r.centroids.toList() as number[][]).every((c) => c.every((v) => Math.abs(v) < 10)));
});

test('kmeans: bad options are RangeErrors naming them', () => {
  assert.throws(() => kmeans(X, { k: 0 }), /k must be a positive integer/);
  assert.throws(() => kmeans(X, { k: 301 }), /at least 301 points/);
  assert.throws(() => kmeans(X, { k: 3, init: torch.zeros([2, 8]) }), /init must be \(k, D\)/);
});
