/** NPID's SimpleMemory (Wu et al. 2018): the momentum update, renormalisation and sizing, against hand computations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { SimpleMemory } from '../../../src/index.js';
import { assertClose } from '../../helpers.js';

test('SimpleMemory starts with unit rows and updates v ← normalize((1 − m)·v + m·normalize(f)) at idx only', () => {
  torch.manualSeed(0);
  const mem = new SimpleMemory({ type: 'SimpleMemory', length: 4, featDim: 2, momentum: 0.25 });
  assertClose(mem.featureBank.norm(2, [1]), torch.ones([4]), 1e-6);
  torch.noGrad(() =>
    mem.featureBank.copy_(
      torch.tensor(
        [
          [1, 0],
          [0, 1],
          [0.6, 0.8],
          [-1, 0],
        ],
        { dtype: 'float32' },
      ),
    ),
  );
  // Row 1: (0, 1) with f = (3, 0) → normalize(0.75·(0, 1) + 0.25·(1, 0)) = (0.25, 0.75)/√0.625.
  // Row 2: (0.6, 0.8) with f = (0, −2) → normalize((0.45, 0.6) + (0, −0.25)) = (0.45, 0.35)/√0.325.
  mem.update(
    torch.tensor([1, 2], { dtype: 'int64' }),
    torch.tensor(
      [
        [3, 0],
        [0, -2],
      ],
      { dtype: 'float32' },
    ),
  );
  const r1 = Math.sqrt(0.625);
  const r2 = Math.sqrt(0.325);
  assertClose(
    mem.featureBank,
    torch.tensor([
      [1, 0],
      [0.25 / r1, 0.75 / r1],
      [0.45 / r2, 0.35 / r2],
      [-1, 0],
    ]),
    1e-6,
  );
});

test('SimpleMemory is sized by the dataset, and a configured length that differs is an error naming both', () => {
  const free = new SimpleMemory({ type: 'SimpleMemory', featDim: 3, momentum: 0.5 });
  assert.equal(free.length, 0);
  assert.throws(() => free.drawNegatives(2), /no rows/);
  free.resize(7);
  assert.deepEqual(free.featureBank.shape, [7, 3]);
  assert.deepEqual(Object.keys(free.stateDict()), ['feature_bank']);
  const fixed = new SimpleMemory({ type: 'SimpleMemory', length: 1281167 / 1281167 + 9, featDim: 3, momentum: 0.5 });
  assert.throws(() => fixed.resize(50000, 'NPID'), /NPID: memoryBank\.length is 10 but the training set has 50000 images/);
  fixed.resize(10);
  assert.throws(
    () => fixed.update(torch.tensor([10], { dtype: 'int64' }), torch.ones([1, 3])),
    /index 10 is outside the memory bank's 10 rows/,
  );
  assert.throws(() => fixed.update(torch.tensor([1], { dtype: 'int64' }), torch.ones([1, 4])), /expected \(1, 3\) features/);
});

test('SimpleMemory draws negatives from the default generator (a seed replays them), uniform over its rows', () => {
  const mem = new SimpleMemory({ type: 'SimpleMemory', length: 5, featDim: 2, momentum: 0.5 });
  torch.manualSeed(3);
  const a = mem.drawNegatives(5000);
  torch.manualSeed(3);
  const b = mem.drawNegatives(5000);
  assert.deepEqual(a.toList(), b.toList());
  const counts = torch.ops.aten.bincount(a, null, 5).toList() as number[];
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 150, `counts ${counts}`);
});
