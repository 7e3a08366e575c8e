import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { reconstructionPanels } from '../../src/visualization/reconstruction.js';

test('reconstructionPanels: masked shows grey where removed; the last panel pastes the visible pixels back', () => {
  torch.tidy(() => {
    const original = torch.tensor([10, 20, 30, 40], { dtype: 'float32' }).reshape(1, 1, 2, 2);
    const reconstruction = torch.tensor([-5, 21, 300, 41], { dtype: 'float32' }).reshape(1, 1, 2, 2);
    const mask = torch.tensor([0, 1, 1, 0], { dtype: 'float32' }).reshape(1, 1, 2, 2);
    const [orig, masked, rec, pasted] = reconstructionPanels({ original, reconstruction, mask });
    assert.deepEqual(orig.flatten().toList(), [10, 20, 30, 40]);
    assert.deepEqual(masked.flatten().toList(), [10, 127.5, 127.5, 40]);
    assert.deepEqual(rec.flatten().toList(), [0, 21, 255, 41], 'clamped to 0–255');
    assert.deepEqual(pasted.flatten().toList(), [10, 21, 255, 40], 'visible from the original, removed from the model');
  });
});
