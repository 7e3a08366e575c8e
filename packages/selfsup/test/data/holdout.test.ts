/**
 * The class-balanced hold-out: per-class test counts by the documented rule (worked out by hand
 * here), disjoint parts covering the dataset, the exact images PyTorch's seeded `randperm` picks
 * (the rule replayed in Python), determinism per seed; and `hasSplit` on folders with and without
 * split sub-folders.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/datasets/base.js';
import { classBalancedHoldout, hasSplit } from '../../src/data/holdout.js';
import { py } from '../helpers.js';

/** Labels only: classes of 10, 7, 3, 1 and 2 images, interleaved. */
function labelled(): Dataset {
  const sizes = [10, 7, 3, 1, 2];
  const labels: number[] = [];
  for (let r = 0; labels.length < 23; r++) {
    for (const [c, n] of sizes.entries()) if (r < n) labels.push(c);
  }
  return {
    length: labels.length,
    labels,
    classes: ['a', 'b', 'c', 'd', 'e'],
    get: async () => {
      throw new Error('not decoded in this test');
    },
    describe: () => 'Labels(23)',
  };
}

const countBy = (labels: ArrayLike<number>) => {
  const m: Record<number, number> = {};
  for (const l of Array.from(labels)) m[l] = (m[l] ?? 0) + 1;
  return m;
};

test('classBalancedHoldout: round(F·n) per class, ≥ 1 and ≤ n − 1; disjoint, covering, PyTorch randperm’s picks', () => {
  const ds = labelled();
  const { train, test: held } = classBalancedHoldout(ds, 0.3, 5);
  // By hand: 10 → 3, 7 → round(2.1) = 2, 3 → round(0.9) = 1, 1 → 0 (stays in training), 2 → round(0.6) = 1.
  assert.deepEqual(countBy(held.labels as ArrayLike<number>), { 0: 3, 1: 2, 2: 1, 4: 1 });
  assert.deepEqual(countBy(train.labels as ArrayLike<number>), { 0: 7, 1: 5, 2: 2, 3: 1, 4: 1 });
  const all = [...train.indices, ...held.indices].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 23 }, (_, i) => i),
  );
  // Each part's labels are the parent's at its indices.
  for (const [k, i] of held.indices.entries()) assert.equal((held.labels as ArrayLike<number>)[k], (ds.labels as number[])[i]);
  // Large fractions still leave one image of every class for training: 0.9 of 3 → 2, of 2 → 1.
  assert.deepEqual(countBy(classBalancedHoldout(ds, 0.9, 0).test.labels as ArrayLike<number>), { 0: 9, 1: 6, 2: 2, 4: 1 });

  // The same rule replayed on torch.randperm with a seeded generator, for three seeds.
  const seeds = [0, 1, 5];
  const expected = py<number[][]>(
    `labels = D['labels']
out = []
for seed in D['seeds']:
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed)).tolist()
    n = {c: labels.count(c) for c in set(labels)}
    quota = {c: 0 if k < 2 else min(k - 1, max(1, int(math.floor(0.3 * k + 0.5)))) for c, k in n.items()}
    picked = []
    for i in perm:
        if quota[labels[i]] > 0:
            quota[labels[i]] -= 1
            picked.append(i)
    out.append(sorted(picked))
OUT = out`,
    { labels: ds.labels, seeds },
  );
  for (const [k, s] of seeds.entries()) assert.deepEqual(classBalancedHoldout(ds, 0.3, s).test.indices, expected[k], `seed ${s}`);
  // Determinism per seed, and another seed picks other images.
  assert.deepEqual(classBalancedHoldout(ds, 0.3, 5).test.indices, held.indices);
  assert.notDeepEqual(expected[0], expected[1]);

  assert.throws(() => classBalancedHoldout(ds, 1, 0), /fraction must be in \(0, 1\), got 1/);
  assert.throws(() => classBalancedHoldout({ ...ds, labels: null }, 0.2, 0), /unlabelled/);
});

test('hasSplit: split sub-folders count, a plain image folder is training data only', () => {
  const root = mkdtempSync(join(tmpdir(), 'selfsup-holdout-'));
  const plain = join(root, 'plain');
  mkdirSync(join(plain, 'cat'), { recursive: true });
  writeFileSync(join(plain, 'cat', 'x.png'), '');
  assert.equal(hasSplit(plain, 'test'), false);
  assert.equal(hasSplit(plain, 'train'), true);
  const split = join(root, 'split');
  mkdirSync(join(split, 'train', 'cat'), { recursive: true });
  assert.equal(hasSplit(split, 'test'), false, 'train/ only');
  mkdirSync(join(split, 'test', 'cat'), { recursive: true });
  assert.equal(hasSplit(split, 'test'), true);
  assert.equal(hasSplit(split, 'val'), false);
  assert.throws(() => hasSplit(join(root, 'missing'), 'test'), /no such file or directory/);
});
