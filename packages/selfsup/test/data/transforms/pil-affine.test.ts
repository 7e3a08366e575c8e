/**
 * Pillow's affine warps (pil-affine.ts) against Debian's PIL 9.4 run in the test, byte for byte:
 * timm's shear and translate (`img.transform(size, AFFINE, …, resample, fillcolor)`) and rotate
 * (`img.rotate(angle, resample, fillcolor)`) with each filter, on RGB and L images, square and not
 * (90° and 270° of a square image are Pillow's transposes), with negative and fractional arguments
 * (the fixed-point, scale and generic engines).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Planes } from '../../../src/data/transforms/bytes.js';
import { pilAffineBytes, pilRotateBytes, type PilTransformFilter } from '../../../src/data/transforms/pil-affine.js';
import { py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

const FILTERS: PilTransformFilter[] = ['nearest', 'bilinear', 'bicubic'];
type Matrix = [number, number, number, number, number, number];
const MATRICES: Matrix[] = [
  [1, 0.3, 0, 0, 1, 0],
  [1, -0.2731, 0, 0, 1, 0],
  [1, 0, 0, 0.3, 1, 0],
  [1, 0, 0, -0.0917, 1, 0],
  [1, 0, 10.35, 0, 1, 0],
  [1, 0, -3.7, 0, 1, 0],
  [1, 0, 0, 0, 1, 7.65],
  [1, 0, 0, 0, 1, -0.5],
  [1, 0, 40, 0, 1, 0],
];
const ANGLES = [-30, -17.3, 0, 0.01, 12.5, 29.99, 45, 90, 180, 270, 360 + 33];

const IMAGES = [
  { c: 3, h: 17, w: 23, seed: 3, fill: [124, 116, 104] },
  { c: 1, h: 17, w: 23, seed: 4, fill: [128] },
  { c: 3, h: 16, w: 16, seed: 5, fill: [0, 255, 7] },
];

test("shear, translate and rotate equal Pillow's transform and rotate, byte for byte, for every filter", () => {
  const imgs = IMAGES.map((i) => ({ ...i, data: [...edgeImage(i.c, i.h, i.w, i.seed)] }));
  const ref = py<{ affine: number[][][]; rotate: number[][][] }[]>(
    `import numpy as np
from PIL import Image
F = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}
def flat(img):
    a = np.asarray(img)
    return (a.transpose(2, 0, 1) if a.ndim == 3 else a).reshape(-1).tolist()
OUT = []
for case in D['imgs']:
    a = np.array(case['data'], dtype=np.uint8).reshape(case['c'], case['h'], case['w'])
    img = Image.fromarray(a[0] if case['c'] == 1 else a.transpose(1, 2, 0))
    fill = tuple(case['fill']) if case['c'] == 3 else case['fill'][0]
    OUT.append({
        'affine': [[flat(img.transform(img.size, Image.AFFINE, tuple(m), F[f], fillcolor=fill)) for m in D['matrices']] for f in D['filters']],
        'rotate': [[flat(img.rotate(r, F[f], fillcolor=fill)) for r in D['angles']] for f in D['filters']],
    })`,
    { imgs, matrices: MATRICES, angles: ANGLES, filters: FILTERS },
  );
  imgs.forEach((img, i) => {
    const planes = (): Planes => ({ data: Uint8Array.from(img.data), offset: 0, c: img.c, h: img.h, w: img.w });
    FILTERS.forEach((f, fi) => {
      MATRICES.forEach((m, k) => {
        const p = planes();
        pilAffineBytes(p, m, f, img.fill);
        assert.deepEqual([...p.data], ref[i].affine[fi][k], `${img.c}×${img.h}×${img.w} ${f} transform ${m}`);
      });
      ANGLES.forEach((angle, k) => {
        const p = planes();
        pilRotateBytes(p, angle, f, img.fill);
        assert.deepEqual([...p.data], ref[i].rotate[fi][k], `${img.c}×${img.h}×${img.w} ${f} rotate ${angle}`);
      });
    });
  });
});

test('a fill with the wrong channel count is refused', () => {
  const p: Planes = { data: new Uint8Array(3 * 4), offset: 0, c: 3, h: 2, w: 2 };
  assert.throws(() => pilAffineBytes(p, [1, 0, 0, 0, 1, 0], 'nearest', [1]), /fill has 1 values for 3 channels/);
  assert.throws(() => pilRotateBytes(p, 10, 'bicubic', [1, 2]), /fill has 2 values for 3 channels/);
});
