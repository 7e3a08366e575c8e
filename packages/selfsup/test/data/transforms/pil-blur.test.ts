import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Planes } from '../../../src/data/transforms/bytes.js';
import { pilGaussianBlurBytes } from '../../../src/data/transforms/pil-blur.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { py } from '../../helpers.js';
import { edgeImage as image } from './test-images.js';

interface Case {
  c: number;
  h: number;
  w: number;
  radii: number[];
  data: number[];
}

const RADII = [0, 0.1, 0.37, 1.0, 2.0, 5.3, 12];
const SHAPES: [number, number][] = [
  [17, 23],
  [8, 8],
  [1, 9],
  [9, 1],
];

/** The index and values of the first differing byte, for a readable failure. */
function firstDiff(a: Uint8Array, b: number[]): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} vs PIL ${b[i]}`;
  return '';
}

test("Pillow's GaussianBlur: pilGaussianBlurBytes equals PIL 9.4's ImageFilter.GaussianBlur byte for byte (RGB and L, small and large radii, 1-pixel-wide images)", () => {
  const cases: Case[] = [];
  let seed = 1;
  for (const c of [3, 1])
    for (const [h, w] of SHAPES) cases.push({ c, h, w, radii: RADII, data: Array.from(image(c, h, w, seed++)) });
  // MMSelfSup's sigma range [0.1, 2]: many fractional radii exercise the float32 weight arithmetic.
  const rng = new Rng(7);
  const sigmas = Array.from({ length: 24 }, () => 0.1 + 1.9 * rng.random());
  cases.push({ c: 3, h: 17, w: 23, radii: sigmas, data: Array.from(image(3, 17, 23, 99)) });
  cases.push({ c: 3, h: 224, w: 224, radii: [2.0, 0.5], data: Array.from(image(3, 224, 224, 5)) });
  const ref = py<number[][][]>(
    `import numpy as np
from PIL import Image, ImageFilter
import PIL
assert PIL.__version__ == '9.4.0', PIL.__version__
OUT = []
for case in D['cases']:
    a = np.array(case['data'], dtype=np.uint8).reshape(case['c'], case['h'], case['w'])
    pil = Image.fromarray(a[0]) if case['c'] == 1 else Image.fromarray(a.transpose(1, 2, 0))
    assert pil.mode == ('L' if case['c'] == 1 else 'RGB')
    outs = []
    for r in case['radii']:
        b = np.asarray(pil.filter(ImageFilter.GaussianBlur(r)))
        outs.append((b[None] if b.ndim == 2 else b.transpose(2, 0, 1)).reshape(-1).tolist())
    OUT.append(outs)`,
    { cases },
  );
  cases.forEach((cs, k) => {
    const n = cs.c * cs.h * cs.w;
    cs.radii.forEach((r, j) => {
      // Embedded between sentinel bytes at an offset: only the image's own bytes may change.
      const buf = new Uint8Array(n + 10).fill(77);
      buf.set(cs.data, 5);
      const p: Planes = { data: buf, offset: 5, c: cs.c, h: cs.h, w: cs.w };
      pilGaussianBlurBytes(p, r);
      const what = `c=${cs.c} ${cs.h}×${cs.w} radius ${r}`;
      assert.equal(firstDiff(buf.subarray(5, 5 + n), ref[k][j]), '', what);
      for (const i of [0, 1, 2, 3, 4, n + 5, n + 9]) assert.equal(buf[i], 77, `${what}: sentinel ${i}`);
    });
  });
  // Radius 0 is PIL's identity, and the blur really moves the large image (a no-op cannot pass).
  const zero = RADII.indexOf(0);
  for (let k = 0; k < 8; k++) assert.deepEqual(ref[k][zero], cases[k].data);
  const big = cases[cases.length - 1];
  const moved = (out: number[]) => out.reduce((s, v, i) => s + Math.abs(v - big.data[i]), 0) / out.length;
  assert.ok(moved(ref[ref.length - 1][0]) > 10, `radius 2 moved ${moved(ref[ref.length - 1][0])}`);
  assert.ok(moved(ref[ref.length - 1][1]) > 5, `radius 0.5 moved ${moved(ref[ref.length - 1][1])}`);
});

test('pilGaussianBlurBytes rejects a negative, non-finite or float32-overflowing radius and leaves empty images alone', () => {
  const p: Planes = { data: image(1, 4, 4, 3), offset: 0, c: 1, h: 4, w: 4 };
  for (const r of [-1, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => pilGaussianBlurBytes(p, r), /radius must be finite and >= 0/);
  assert.throws(() => pilGaussianBlurBytes(p, 1e20), /radius 100000000000000000000 is too large/);
  const empty: Planes = { data: new Uint8Array(0), offset: 0, c: 3, h: 0, w: 5 };
  pilGaussianBlurBytes(empty, 2);
  assert.equal(empty.data.length, 0);
});
