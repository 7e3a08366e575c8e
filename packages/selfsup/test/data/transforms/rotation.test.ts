/**
 * `rotate` and RandomRotation against torchvision 0.14's tensor `F.rotate` run in the test (with a
 * fill list, as `RandomRotation` passes it): nearest and bilinear, uint8 and float images, a
 * custom centre, per-channel fill, expand; a batch with one angle per image; the angle draws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { Rng } from '../../../src/data/transforms/rng.js';
import { RandomRotation, type RotateOptions, rotate } from '../../../src/data/transforms/rotation.js';
import { maxAbsDiff, py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

const [C, H, W] = [3, 17, 23];
const ANGLES = [-30, -7.5, 0, 12.3, 45, 90, 180];
const OPTIONS: RotateOptions[] = [
  { interpolation: 'nearest', fill: 0 },
  { interpolation: 'bilinear', fill: 0 },
  { interpolation: 'bilinear', fill: [10, 200, 30], center: [5, 3] },
  { interpolation: 'nearest', fill: [7, 8, 9], expand: true },
  { interpolation: 'bilinear', fill: 255, expand: true },
];

test("rotate equals torchvision's tensor F.rotate (uint8 and float, nearest and bilinear, centre, fill, expand)", () => {
  const img = edgeImage(C, H, W, 13);
  const ref = py<{ u8: number[][][]; f32: number[][][] }>(
    `import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode as I
x = torch.tensor(D['img'], dtype=torch.uint8).view(${C}, ${H}, ${W})
xf = x.float() / 255
OUT = {'u8': [], 'f32': []}
for o in D['options']:
    fill = o['fill'] if isinstance(o['fill'], list) else [float(o['fill'])] * ${C}
    kw = dict(interpolation=I.NEAREST if o['interpolation'] == 'nearest' else I.BILINEAR, expand=o.get('expand', False), center=o.get('center'), fill=[float(v) for v in fill])
    OUT['u8'].append([F.rotate(x, a, **kw) for a in D['angles']])
    kw['fill'] = [float(v) / 255 for v in fill]
    OUT['f32'].append([F.rotate(xf, a, **kw).float() for a in D['angles']])`,
    { img: [...img], options: OPTIONS, angles: ANGLES },
  );
  torch.tidy(() => {
    const x = torch.tensor(img, { shape: [C, H, W] });
    const xf = x.float().div(255);
    OPTIONS.forEach((o, i) => {
      ANGLES.forEach((a, k) => {
        const what = `${JSON.stringify(o)} at ${a}°`;
        const got = rotate(x, a, o);
        assert.deepEqual(got.toList(), ref.u8[i][k], `uint8 ${what}`);
        const fill = typeof o.fill === 'number' ? o.fill / 255 : (o.fill as number[]).map((v) => v / 255);
        const gotF = rotate(xf, a, { ...o, fill });
        assert.ok(maxAbsDiff(gotF, ref.f32[i][k], what) < 1e-6, `float ${what}`);
      });
    });
  });
});

test('a batch with one angle per image equals rotating each image alone', () => {
  torch.tidy(() => {
    const batch = torch.tensor(edgeImage(C * 4, H, W, 2), { shape: [4, C, H, W] });
    const angles = [-20, 3.3, 0, 29.9];
    for (const o of OPTIONS.filter((p) => !p.expand)) {
      const out = rotate(batch, angles, o);
      for (const [i, a] of angles.entries())
        assert.ok(out.select(0, i).equal(rotate(batch.select(0, i), a, o)), `${JSON.stringify(o)} image ${i}`);
    }
  });
});

test('RandomRotation draws angles uniformly in [−d, d] or [min, max] and rotates by them', () => {
  const t = new RandomRotation({ degrees: 30, interpolation: 'bilinear' });
  assert.deepEqual(t.degrees, [-30, 30]);
  const r = new RandomRotation({ degrees: [10, 20] });
  const draws = Array.from({ length: 4000 }, (_, i) =>
    (r as unknown as { augmentation: { sample(g: Rng): number } }).augmentation.sample(Rng.forSample(1, 0, i)),
  );
  assert.ok(draws.every((a) => a >= 10 && a < 20));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  assert.ok(Math.abs(mean - 15) < 0.15, `mean angle ${mean}`);
  torch.tidy(() => {
    const x = torch.tensor(edgeImage(C, H, W, 6), { shape: [C, H, W] });
    const rng = new Rng(5);
    const angle = new Rng(5).uniform(-30, 30);
    assert.ok(t.apply(x, rng).equal(rotate(x, angle, { interpolation: 'bilinear', fill: 0 })));
  });
});

test('bad options are refused with the option named', () => {
  assert.throws(() => new RandomRotation({ degrees: -3 }), /degrees must be non-negative/);
  assert.throws(() => new RandomRotation({ degrees: [5, 1] }), /degrees must be \[min, max\]/);
  assert.throws(() => new RandomRotation({ degrees: 5, expand: true, center: [1, 1] }), /expand conflicts with center/);
  torch.tidy(() => {
    const x = torch.zeros([3, 4, 4], { dtype: 'uint8' });
    assert.throws(() => rotate(x, 10, { fill: [1, 2] }), /fill has 2 values for 3-channel images/);
    assert.throws(() => rotate(x.unsqueeze(0), [1, 2]), /2 angles for 1 images/);
  });
});
