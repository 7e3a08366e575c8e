import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { rotationsWithLabels } from '../../../src/data/transforms/labels.js';
import { maxAbsDiff } from '../../helpers.js';

test('rotationsWithLabels: 0/90/180/270° counter-clockwise turns, labelled 0–3', () => {
  torch.tidy(() => {
    // 2×3 single-channel image [[1, 2, 3], [4, 5, 6]]: turned 90° counter-clockwise it reads
    // [[3, 6], [2, 5], [1, 4]] (the right column becomes the top row).
    const img = torch.tensor([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
    const { imgs, labels } = rotationsWithLabels(img);
    assert.deepEqual(labels, [0, 1, 2, 3]);
    assert.deepEqual(imgs[0].toList(), [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
    assert.deepEqual(imgs[1].toList(), [
      [
        [3, 6],
        [2, 5],
        [1, 4],
      ],
    ]);
    assert.deepEqual(imgs[2].toList(), [
      [
        [6, 5, 4],
        [3, 2, 1],
      ],
    ]);
    assert.deepEqual(imgs[3].toList(), [
      [
        [4, 1],
        [5, 2],
        [6, 3],
      ],
    ]);
    // Four quarter turns are the identity.
    const sq = torch.randint(0, 255, [3, 5, 5], { dtype: 'uint8' });
    const r = rotationsWithLabels(rotationsWithLabels(sq).imgs[3]).imgs[1];
    assert.equal(maxAbsDiff(r, sq), 0);
    assert.throws(() => rotationsWithLabels(torch.ones([4, 4])), /expected a \(C, H, W\) image/);
  });
});
