import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LowFreqTargetGenerator } from '../../../src/models/target-generators/low-freq-target-generator.js';
import { TARGET_GENERATORS } from '../../../src/models/registries.js';
import { assertClose, py } from '../../helpers.js';
import '../../../src/builtins.js';

const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

test('LowFreqTargetGenerator equals MMSelfSup’s formula in PyTorch (even and odd sizes, float64)', () => {
  for (const [h, w, radius] of [
    [8, 8, 2],
    [7, 10, 2.5],
  ]) {
    const g = new torch.Generator().manualSeed(h * 100 + w);
    const x = torch.keep(torch.randn([2, 3, h, w], { generator: g, dtype: 'float64' }));
    const ref = py<number[]>(
      `
h, w, r = D['h'], D['w'], D['r']
filt = torch.ones((3, h, w))
for i in range(h):
    for j in range(w):
        if (i - (h - 1) / 2) ** 2 + (j - (w - 1) / 2) ** 2 > r ** 2:
            filt[:, i, j] = 0
mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).view(1, 3, 1, 1)
imgs = T(D['x']) * std + mean
f = torch.fft.fftshift(torch.fft.fft2(imgs), dim=(-2, -1))
low = torch.abs(torch.fft.ifft2(f * filt))
OUT = ((low - mean) / std).flatten()`,
      { h, w, r: radius, x: x.toList() },
    );
    const gen = TARGET_GENERATORS.build({ type: 'LowFreqTargetGenerator', radius, imgSize: [h, w] });
    assert.ok(gen instanceof LowFreqTargetGenerator);
    // 123.675 / 255 = 0.485 … : the 0–255 statistics are MMSelfSup's hard-coded 0–1 ones.
    assertClose(gen.forward(x).flatten(), ref, 1e-12, `${h}×${w}, radius ${radius}`);
    x.dispose();
  }
});

test('LowFreqTargetGenerator: a constant image passes unchanged; a filter wider than the spectrum is the identity on pixels ≥ 0', () => {
  torch.tidy(() => {
    const gen = new LowFreqTargetGenerator({ radius: 1, imgSize: 8 });
    // Pixels 0.6 in [0, 1] per channel, preprocessed.
    const pix = 0.6 * 255;
    const x = torch
      .tensor(
        MEAN.map((m, c) => (pix - m) / STD[c]),
        { dtype: 'float64' },
      )
      .reshape(1, 3, 1, 1)
      .expand(2, 3, 8, 8);
    assertClose(gen.forward(x), x, 1e-12, 'only the DC bin is non-zero');
    const wide = new LowFreqTargetGenerator({ radius: 100, imgSize: 8 });
    const g = new torch.Generator().manualSeed(1);
    const img = torch.rand([1, 3, 8, 8], { generator: g, dtype: 'float64' }).mul(255);
    const pre = img
      .sub(torch.tensor(MEAN, { dtype: 'float64' }).reshape(1, 3, 1, 1))
      .div(torch.tensor(STD, { dtype: 'float64' }).reshape(1, 3, 1, 1));
    assertClose(wide.forward(pre), pre, 1e-10, 'all frequencies kept');
    // A checkerboard (the highest frequency) is removed by a small radius: the output is its mean.
    const checker = torch
      .tensor(
        Array.from({ length: 64 }, (_, k) => ((k >> 3) + (k & 7)) % 2),
        { dtype: 'float64' },
      )
      .reshape(1, 1, 8, 8)
      .expand(1, 3, 8, 8)
      .mul(100)
      .add(80);
    const preChecker = checker
      .sub(torch.tensor(MEAN, { dtype: 'float64' }).reshape(1, 3, 1, 1))
      .div(torch.tensor(STD, { dtype: 'float64' }).reshape(1, 3, 1, 1));
    const flat = gen
      .forward(preChecker)
      .mul(torch.tensor(STD, { dtype: 'float64' }).reshape(1, 3, 1, 1))
      .add(torch.tensor(MEAN, { dtype: 'float64' }).reshape(1, 3, 1, 1));
    assertClose(flat, checker.mean().expand(1, 3, 8, 8), 1e-9, 'checkerboard → its mean, 130');
  });
  assert.throws(
    () => new LowFreqTargetGenerator({ radius: 2, imgSize: 8 }).forward(torch.zeros([1, 3, 8, 6])),
    /expected \(N, 3, 8, 8\)/,
  );
});
