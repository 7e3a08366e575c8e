/**
 * k-means (Lloyd) against a PyTorch re-statement of Lloyd's iterations from the same initial
 * centroids, and k-means++ seeding on separated blobs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { kmeans } from '../../src/index.js';
import { assertClose, py } from '../helpers.js';

test('kmeans from given centroids equals Lloyd’s iterations in PyTorch (centroids, labels, inertia)', () => {
  const g = new torch.Generator().manualSeed(0);
  const x = torch.randn([200, 3], { generator: g, dtype: 'float64' });
  const init = x.narrow(0, 0, 5).clone();
  const ours = kmeans(x, 5, { iters: 10, init });
  const ref = py<{ centroids: number[][]; labels: number[]; inertia: number }>(
    `
x = torch.tensor(D['x'], dtype=torch.float64)
c = torch.tensor(D['init'], dtype=torch.float64)
for _ in range(10):
    lab = torch.cdist(x, c).argmin(1)
    c = torch.stack([x[lab == j].mean(0) for j in range(c.shape[0])])
d = torch.cdist(x, c) ** 2
OUT = {'centroids': c.tolist(), 'labels': d.argmin(1).tolist(), 'inertia': d.min(1).values.sum().item()}
`,
    { x: x.toList(), init: init.toList() },
  );
  assertClose(ours.centroids, ref.centroids, 1e-9);
  assert.deepEqual(ours.labels.toList(), ref.labels);
  assert.ok(Math.abs(ours.inertia - ref.inertia) < 1e-8 * ref.inertia, `${ours.inertia} vs ${ref.inertia}`);
});

test('kmeans++ then Lloyd finds three separated blobs; a bad k is an error', () => {
  torch.manualSeed(1);
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const x = torch.cat(
    centres.map((c) =>
      torch
        .randn([30, 2])
        .mul(0.1)
        .add(torch.tensor(c, { dtype: 'float32' })),
    ),
    0,
  );
  const r = kmeans(x, 3);
  const l = r.labels.toList() as number[];
  for (let b = 0; b < 3; b++) assert.equal(new Set(l.slice(30 * b, 30 * b + 30)).size, 1, `blob ${b} in one cluster`);
  assert.equal(new Set([l[0], l[30], l[60]]).size, 3);
  assert.throws(() => kmeans(x, 91), /k must be an integer in \[1, 90\]/);
});
