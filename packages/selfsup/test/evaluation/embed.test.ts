import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { embed2d, subsampleIndices } from '../../src/evaluation/embed.js';

/** Two Gaussian clusters in 10-D, 30 points each, centres 12 apart (unit noise). */
function twoClusters() {
  torch.manualSeed(5);
  return torch.tidy(() => {
    const offset = torch.zeros([1, 10]);
    offset.indexPut_([0, 0], 12);
    const a = torch.randn([30, 10]);
    const b = torch.randn([30, 10]).add(offset);
    return torch.cat([a, b]);
  });
}

/** For every point, whether its nearest other point in 2-D is from the same cluster (first 30 / last 30). */
function nearestNeighbourPurity(coords: Float64Array, clusterOf: (i: number) => number): boolean[] {
  const m = coords.length / 2;
  return Array.from({ length: m }, (_, i) => {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      const d = (coords[2 * i] - coords[2 * j]) ** 2 + (coords[2 * i + 1] - coords[2 * j + 1]) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    return clusterOf(best) === clusterOf(i);
  });
}

for (const method of ['tsne', 'umap'] as const) {
  test(`embed2d ${method}: separated clusters stay separated; same seed → identical output`, () => {
    const x = twoClusters();
    const opts = { method, seed: 3, perplexity: 10, iterations: method === 'tsne' ? 300 : 200 };
    const r = embed2d(x, opts);
    assert.equal(r.coords.length, 120);
    assert.deepEqual(
      r.indices,
      Array.from({ length: 60 }, (_, i) => i),
    );
    assert.ok(r.coords.every(Number.isFinite));
    const pure = nearestNeighbourPurity(r.coords, (i) => (i < 30 ? 0 : 1));
    assert.ok(
      pure.every((p) => p),
      `points whose nearest 2-D neighbour is in the other cluster: ${pure.flatMap((p, i) => (p ? [] : [i]))}`,
    );
    // A scrambled assignment is not pure: the check can fail.
    assert.ok(!nearestNeighbourPurity(r.coords, (i) => i % 2).every((p) => p));
    const again = embed2d(x, opts);
    assert.deepEqual(again.coords, r.coords);
    const other = embed2d(x, { ...opts, seed: 4 });
    assert.notDeepEqual(other.coords, r.coords);
    x.dispose();
  });
}

test('subsampleIndices is class-balanced, seeded and ascending', () => {
  // 60 samples of class 0, 15 of class 1, 5 of class 2.
  const labels = [...new Array(60).fill(0), ...new Array(15).fill(1), ...new Array(5).fill(2)];
  const pick = subsampleIndices(80, 30, 7, labels);
  const count = [0, 1, 2].map((c) => pick.filter((i) => labels[i] === c).length);
  // Turns: 5 rounds take 5 of each class (15), then classes 0 and 1 alternate: 0 gets 8 more, 1 gets 7 more.
  assert.deepEqual(count, [13, 12, 5]);
  assert.deepEqual(
    pick,
    [...pick].sort((a, b) => a - b),
  );
  assert.equal(new Set(pick).size, 30);
  assert.deepEqual(subsampleIndices(80, 30, 7, labels), pick);
  assert.notDeepEqual(subsampleIndices(80, 30, 8, labels), pick);
  assert.deepEqual(subsampleIndices(5, 30, 7), [0, 1, 2, 3, 4]);
  // embed2d keeps the rows it reports.
  const x = torch.randn([80, 4]);
  const r = embed2d(x, { method: 'tsne', seed: 7, maxPoints: 30, labels: torch.tensor(labels), iterations: 50 });
  assert.deepEqual(r.indices, pick);
  assert.equal(r.coords.length, 60);
  x.dispose();
});
