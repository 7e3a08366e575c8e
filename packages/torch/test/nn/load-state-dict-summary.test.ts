import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../src/index.js';

test('loadStateDict: shape mismatches open with one summary line (count, first 5 names) before the details', () => {
  const net = new torch.nn.Sequential(...Array.from({ length: 4 }, () => new torch.nn.Linear(3, 2)));
  const sd = net.stateDict();
  // Every weight and bias of the 4 layers one wider than the model's: 8 mismatches.
  const wrong = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, torch.zeros([t.shape[0] + 1, ...t.shape.slice(1)])]));
  assert.throws(
    () => net.loadStateDict(wrong),
    (e: Error) => {
      const lines = e.message.split('\n');
      assert.equal(
        lines[0],
        'loadStateDict(Sequential): 8 weights with mismatched shapes (first 5: 0.weight, 0.bias, 1.weight, 1.bias, 2.weight)',
      );
      assert.equal(lines[1], 'size mismatch:');
      assert.equal(lines.length, 2 + 8, 'then every mismatch on its own line');
      return true;
    },
  );
  for (const t of Object.values(wrong)) t.dispose();
});
