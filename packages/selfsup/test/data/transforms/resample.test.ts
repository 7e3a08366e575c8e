import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import * as T from '../../../src/data/transforms/functional.js';
import { calibrate, resizedCropInto } from '../../../src/data/transforms/resample.js';
import { Rng } from '../../../src/data/transforms/rng.js';

test('crop-and-resize in JS memory (passes in the pixel addon) reproduces libtorch’s antialiased kernel bit for bit where calibration found its summation', (t) => {
  const sums = calibrate('bilinear');
  if (!sums) {
    // This libtorch sums in a way none of the known patterns reproduce: the loader keeps to libtorch.
    t.skip('no summation pattern matches this libtorch build');
    return;
  }
  assert.deepEqual(calibrate('bilinear'), sums, 'calibrated once');
  const rng = new Rng(11);
  let pixels = 0;
  for (let k = 0; k < 150; k++) {
    const H = rng.randint(1, 60);
    const W = rng.randint(1, 60);
    const C = rng.random() < 0.2 ? 1 : 3;
    const data = Uint8Array.from({ length: H * W * C }, () => rng.randint(0, 256));
    const h = rng.randint(1, H + 1);
    const w = rng.randint(1, W + 1);
    const top = rng.randint(0, H - h + 1);
    const left = rng.randint(0, W - w + 1);
    // Up- and downscaling, so sums of 1 to ~30 taps and every group boundary occur.
    const oh = rng.randint(1, 70);
    const ow = rng.randint(1, 70);
    const out = new Uint8Array(C * oh * ow + 5).fill(7);
    resizedCropInto({ data, height: H, width: W, channels: C }, [top, left, h, w], oh, ow, 'bilinear', sums, out, 5);
    const ref = torch.tidy(() => {
      const img = torch
        .tensor(data, { shape: [H, W, C] })
        .permute(2, 0, 1)
        .contiguous();
      return T.resizedCrop(img, top, left, h, w, [oh, ow], { antialias: true }).toBytes();
    });
    assert.deepEqual(out.subarray(5), ref, `${H}×${W}×${C} box ${[top, left, h, w]} → ${oh}×${ow}`);
    assert.deepEqual(Array.from(out.subarray(0, 5)), [7, 7, 7, 7, 7], 'nothing written before the offset');
    pixels += ref.length;
  }
  assert.ok(pixels > 100000);
  assert.throws(
    () =>
      resizedCropInto(
        { data: new Uint8Array(12), height: 2, width: 2, channels: 3 },
        [1, 1, 2, 2],
        4,
        4,
        'bilinear',
        sums,
        new Uint8Array(48),
        0,
      ),
    /outside the 2×2 image/,
  );
});
