import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { RandomPatchWithLabels, RotationWithLabels, rotationsWithLabels } from '../../../src/data/transforms/labels.js';
import { Rng } from '../../../src/data/transforms/rng.js';
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

test('RotationWithLabels: views k = k quarter turns (labels 0–3), the batched path equal to the per-image one', () => {
  torch.tidy(() => {
    const step = new RotationWithLabels();
    assert.equal(step.outputs, 4);
    assert.deepEqual(step.labels, [0, 1, 2, 3]);
    const batch = torch.randint(0, 255, [3, 3, 6, 6], { dtype: 'uint8' });
    const batched = step.applyMultiBatch(batch);
    for (let i = 0; i < 3; i++) {
      const one = step.applyMulti(batch.select(0, i));
      for (let k = 0; k < 4; k++) assert.equal(maxAbsDiff(batched[k].select(0, i), one[k]), 0, `sample ${i} view ${k}`);
    }
    // A 90° counter-clockwise turn moves pixel (y, x) of an H × W image to (W − 1 − x, y).
    const y = 1;
    const x = 4;
    const turned = batched[1]
      .select(0, 0)
      .select(1, 6 - 1 - x)
      .select(1, y);
    assert.deepEqual(turned.toList(), batch.select(0, 0).select(1, y).select(1, x).toList());
  });
});

/**
 * An H × W image whose pixel (y, x) holds y·W + x, so a patch's first pixel tells where it was
 * cropped and the rest must continue that window.
 */
function coordinateImage(H: number, W: number): torch.Tensor {
  return torch.arange(0, H * W, 1, { dtype: 'float64' }).view([1, H, W]);
}

test('RandomPatchWithLabels: centre patch first, then the 8 neighbours row-major, each inside its grid cell', () => {
  torch.tidy(() => {
    // 30 × 36 with a 3 × 3 grid: cells 10 × 12; jitter 2 leaves 8 × 10 patches at offsets 0–2 in each cell.
    const [H, W, g, jitter] = [30, 36, 3, 2];
    const [ch, cw, ph, pw] = [10, 12, 8, 10];
    const step = new RandomPatchWithLabels({ gridSize: g, jitter });
    assert.equal(step.outputs, 9);
    assert.deepEqual(step.labels, [0, 1, 2, 3, 4, 5, 6, 7]);
    const img = coordinateImage(H, W);
    // View v's cell in the grid: the centre (1, 1), then (0,0) (0,1) (0,2) (1,0) (1,2) (2,0) (2,1) (2,2).
    const cells = [4, 0, 1, 2, 3, 5, 6, 7, 8].map((c) => [Math.floor(c / g), c % g]);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const views = step.applyMulti(img, new Rng(seed));
      assert.equal(views.length, 9);
      views.forEach((v, k) => {
        assert.deepEqual(v.shape, [1, ph, pw], `view ${k} size`);
        const first = v.flatten().select(0, 0).item();
        const [top, left] = [Math.floor(first / W), first % W];
        const [r, c] = cells[k];
        const [dy, dx] = [top - r * ch, left - c * cw];
        assert.ok(
          dy >= 0 && dy <= jitter && dx >= 0 && dx <= jitter,
          `seed ${seed} view ${k}: offset (${dy}, ${dx}) outside cell (${r}, ${c})`,
        );
        seen.add(`${dy},${dx}`);
        const expected = torch
          .arange(0, ph, 1, { dtype: 'float64' })
          .view([ph, 1])
          .add(top)
          .mul(W)
          .add(torch.arange(0, pw, 1, { dtype: 'float64' }).add(left));
        assert.equal(maxAbsDiff(v.select(0, 0), expected), 0, `seed ${seed} view ${k}: the window at (${top}, ${left})`);
      });
    }
    // Every offset in [0, jitter]² is drawn (9 of them over 360 patches).
    assert.equal(seen.size, (jitter + 1) ** 2);
    assert.throws(() => step.applyMulti(coordinateImage(6, 6), new Rng(0)), /too small for jitter 2/);
    assert.throws(() => new RandomPatchWithLabels({ gridSize: 2 }), /gridSize must be odd/);
  });
});
