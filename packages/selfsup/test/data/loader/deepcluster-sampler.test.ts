/**
 * DeepClusterSampler: PyTorch's DistributedSampler order before pseudo-labels exist, and MMSelfSup's
 * uniform sampling over clusters after (⌊N/K⌋ + 1 draws per non-empty cluster, shuffled, N kept).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeepClusterSampler } from '../../../src/data/loader/deepcluster-sampler.js';
import { DistributedSampler } from '../../../src/data/loader/samplers.js';

/** Very unbalanced labels: cluster 0 holds 900 of 1000 samples, clusters 1–9 hold 10 to 18, 10 is empty. */
function skewed(): number[] {
  const labels: number[] = [];
  for (let i = 0; i < 900; i++) labels.push(0);
  for (let c = 1; labels.length < 1000; c = (c % 9) + 1) labels.push(c);
  return labels;
}

test('DeepClusterSampler: without labels it is PyTorch’s DistributedSampler (same seeded order per rank)', () => {
  for (const rank of [0, 1, 2]) {
    const s = new DeepClusterSampler(101, { rank, worldSize: 3, seed: 5 });
    const d = new DistributedSampler(101, { rank, worldSize: 3, shuffle: true, seed: 5 });
    assert.equal(s.length, d.length);
    assert.deepEqual(s.indices(4), d.indices(4));
  }
});

test('DeepClusterSampler: with pseudo-labels every non-empty cluster is drawn about equally often', () => {
  const labels = skewed();
  const s = new DeepClusterSampler(1000, { seed: 1 });
  s.setUniformIndices(labels, 11);
  const idx = s.indices(0);
  assert.equal(idx.length, 1000);
  const counts = new Array(11).fill(0);
  for (const i of idx) counts[labels[i]]++;
  assert.equal(counts[10], 0, 'the empty cluster');
  // ⌊1000/11⌋ + 1 = 91 draws per non-empty cluster (10 clusters → 910 < 1000, padded from the start).
  const drawn = counts.slice(0, 10);
  assert.ok(Math.max(...drawn) - Math.min(...drawn) <= 91, `counts ${drawn}`);
  for (const c of drawn) assert.ok(c >= 91 && c <= 182, `counts ${drawn}`);
  // Without balancing, cluster 0 would take 90 % of the epoch.
  assert.ok(counts[0] < 200);
  // Cluster 0 is drawn without replacement (it is larger than 91), the small ones with.
  const firstPart = idx.slice(0, 910).filter((i) => labels[i] === 0);
  assert.equal(new Set(firstPart).size, firstPart.length);
});

test('DeepClusterSampler: the balanced order is a function of seed and epoch (resumable), and changes per epoch', () => {
  const labels = skewed();
  const a = new DeepClusterSampler(1000, { seed: 3 });
  const b = new DeepClusterSampler(1000, { seed: 3 });
  a.setUniformIndices(labels, 11);
  b.setUniformIndices(labels, 11);
  assert.deepEqual(a.indices(2), b.indices(2));
  assert.notDeepEqual(a.indices(2), a.indices(3));
});

test('DeepClusterSampler: ranks split the balanced list without overlap', () => {
  const labels = skewed();
  const parts = [0, 1].map((rank) => {
    const s = new DeepClusterSampler(1000, { rank, worldSize: 2, seed: 0 });
    s.setUniformIndices(labels, 11);
    return s.indices(0);
  });
  const whole = new DeepClusterSampler(1000, { seed: 0 });
  whole.setUniformIndices(labels, 11);
  const all = whole.indices(0);
  assert.deepEqual(
    parts[0],
    all.filter((_, i) => i % 2 === 0),
  );
  assert.deepEqual(
    parts[1],
    all.filter((_, i) => i % 2 === 1),
  );
});

test('DeepClusterSampler: labels of the wrong count or range are RangeErrors', () => {
  const s = new DeepClusterSampler(10);
  assert.throws(() => s.setUniformIndices([0, 1], 2), /2 labels for a dataset of 10/);
  assert.throws(() => s.setUniformIndices([0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 3), /label 5 of sample 9/);
});
