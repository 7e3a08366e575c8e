/**
 * The relative-position index tables against entries worked out by hand from the offsets of a
 * small grid (row-major positions, offset = query − key, table row = (Δrow + h − 1)·(2w − 1) + Δcol + w − 1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clsRelativePositionIndex, gridRelativePositionIndex } from '../../../src/models/backbones/relative-position.js';

test('gridRelativePositionIndex of a 2 × 2 window: the nine offsets of Swin’s 3 × 3 table', () => {
  // Positions 0 (0,0), 1 (0,1), 2 (1,0), 3 (1,1). Offset (0,0) → row 4, (0,−1) → 3, (−1,0) → 1, (−1,−1) → 0.
  const t = gridRelativePositionIndex(2);
  assert.equal(t.dtype, 'int64');
  assert.deepEqual(t.shape, [4, 4]);
  assert.deepEqual(t.toList(), [
    [4, 3, 1, 0],
    [5, 4, 2, 1],
    [7, 6, 4, 3],
    [8, 7, 5, 4],
  ]);
});

test('gridRelativePositionIndex of a non-square 1 × 3 grid uses (2w − 1) columns', () => {
  // h = 1: Δrow is 0, so the row is 0·5 + Δcol + 2.
  assert.deepEqual(gridRelativePositionIndex(1, 3).toList(), [
    [2, 1, 0],
    [3, 2, 1],
    [4, 3, 2],
  ]);
});

test('clsRelativePositionIndex of a 1 × 2 grid: patch pairs inside, the class token on the last three rows', () => {
  // (2h − 1)(2w − 1) = 3 patch offsets, rows 0–2; class → patch 3, patch → class 4, class → class 5.
  const t = clsRelativePositionIndex(1, 2);
  assert.equal(t.dtype, 'int64');
  assert.deepEqual(t.toList(), [
    [5, 3, 3],
    [4, 1, 0],
    [4, 2, 1],
  ]);
});
