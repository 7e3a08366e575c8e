import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrayDataset } from '../../../src/data/datasets/array-dataset.js';
import { classBalancedSubset, randomSplit, Subset, takeSamples } from '../../../src/data/datasets/subset.js';
import { py } from '../../helpers.js';

function toy(n: number, classes = 3): ArrayDataset {
  return new ArrayDataset(
    'toy',
    Uint8Array.from({ length: n * 4 }, (_, i) => i % 251),
    { height: 2, width: 2, channels: 1 },
    Int32Array.from({ length: n }, (_, i) => i % classes),
    ['a', 'b', 'c'].slice(0, classes),
  );
}

test('randomSplit gives the same parts as torch.utils.data.random_split with the same seed', () => {
  const ref = py<{ sizes: number[][]; fractions: number[][] }>(`from torch.utils.data import random_split
g = lambda: torch.Generator().manual_seed(11)
OUT = {'sizes': [list(s.indices) for s in random_split(range(20), [12, 5, 3], generator=g())],
       'fractions': [list(s.indices) for s in random_split(range(23), [0.7, 0.3], generator=g())]}`);
  const ds = toy(20);
  assert.deepEqual(
    randomSplit(ds, [12, 5, 3], 11).map((s) => s.indices),
    ref.sizes,
  );
  assert.deepEqual(
    randomSplit(toy(23), [0.7, 0.3], 11).map((s) => s.indices),
    ref.fractions,
  );
  assert.throws(() => randomSplit(ds, [10, 5]), /do not add up to 20/);
});

test('Subset keeps labels and class names, renumbers indices; takeSamples and classBalancedSubset', async () => {
  const ds = toy(30);
  const sub = new Subset(ds, [4, 9, 20]);
  assert.deepEqual(Array.from(sub.labels ?? []), [1, 0, 2]);
  assert.deepEqual(sub.classes, ['a', 'b', 'c']);
  const s = await sub.get(1);
  assert.equal(s.idx, 1);
  assert.equal(s.label, 0);
  assert.deepEqual(Array.from(s.img.data), Array.from(ds.image(9).data));
  assert.throws(() => new Subset(ds, [30]), /index 30 out of range/);
  assert.deepEqual(takeSamples(ds, 4).indices, [0, 1, 2, 3]);
  const r = takeSamples(ds, 5, 3).indices;
  assert.equal(new Set(r).size, 5);
  assert.deepEqual(r, takeSamples(ds, 5, 3).indices, 'seeded');
  const bal = classBalancedSubset(ds, 4, 1);
  const counts = [0, 0, 0];
  for (const l of Array.from(bal.labels ?? [])) counts[l]++;
  assert.deepEqual(counts, [4, 4, 4]);
  assert.throws(
    () => classBalancedSubset(new ArrayDataset('u', new Uint8Array(8), { height: 2, width: 2, channels: 1 }, null), 1),
    /unlabeled/,
  );
});
