/**
 * RandomErasing: mmpretrain's `_fill_pixels` restated in numpy (const fill, cast to uint8 as
 * numpy casts it) for drawn rectangles; the random fills' statistics (uniform bytes; normal
 * truncated and clipped on uint8; timm's pixel-mode N(0, 1) on normalised float images); the draws
 * (probability, area ratio, log-aspect, offsets as numpy's exclusive randint) replayed by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { roundHalfEven } from '../../../src/data/transforms/functional.js';
import { type ErasingParams, RandomErasing } from '../../../src/data/transforms/random-erasing.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

const [C, H, W] = [3, 40, 50];

/** Values inside and outside the rectangle of image `x` `(C, H, W)`. */
function split(
  x: Float64Array | number[],
  p: ErasingParams,
  c: number,
  h: number,
  w: number,
): { inside: number[]; outside: number[] } {
  const inside: number[] = [];
  const outside: number[] = [];
  for (let k = 0; k < c; k++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) {
        const v = x[(k * h + y) * w + i];
        (y >= p.top && y < p.top + p.h && i >= p.left && i < p.left + p.w ? inside : outside).push(v);
      }
  return { inside, outside };
}

const stats = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean: m, std: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) };
};

const CONST_FILL = new RandomErasing({ eraseProb: 1, fillColor: [123.675, 116.28, 103.53], maxAreaRatio: 1 / 3 });
const IMG = edgeImage(C, H, W, 3);
const PARAMS = [1, 2, 3, 4, 5].map((s) => CONST_FILL.sample(new Rng(s), H, W) as ErasingParams);
/** The const fills in numpy and the normal fill's moments: one Python run for the file. */
const REF = py<{ images: number[][]; moments: [number, number][] }>(
  `import numpy as np
img = np.array(D['img'], dtype=np.uint8).reshape(${C}, ${H}, ${W}).transpose(1, 2, 0)
OUT = {'images': []}
for p in D['params']:
    out = img.copy()
    patch = np.empty((p['h'], p['w'], 3), dtype=np.uint8)
    patch[:, :] = np.array(D['fill'], dtype=np.uint8)
    out[p['top']:p['top'] + p['h'], p['left']:p['left'] + p['w']] = patch
    OUT['images'].append(out.transpose(2, 0, 1).reshape(-1).tolist())
# Moments of mmpretrain's normal fill (cast to int32, clipped), from 300 000 numpy draws per channel.
v = np.clip(np.random.default_rng(0).normal(D['fill'], D['std'], (300000, 3)).astype(np.int32), 0, 255)
OUT['moments'] = [[float(v[:, k].mean()), float(v[:, k].std())] for k in range(3)]`,
  { img: [...IMG], params: PARAMS, fill: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
);

test("const fill equals mmpretrain's _fill_pixels (numpy, fill cast to uint8) at the drawn rectangles", () => {
  torch.tidy(() => {
    const x = torch.tensor(IMG, { shape: [C, H, W] });
    [1, 2, 3, 4, 5].forEach((s, i) => {
      const got = CONST_FILL.apply(x, new Rng(s));
      assert.deepEqual([...(got.toTypedArray() as Uint8Array)], REF.images[i], `seed ${s}: ${JSON.stringify(PARAMS[i])}`);
    });
  });
});

test('random fills: uniform bytes; N(mean, std) truncated and clipped on uint8; N(0, 1) on normalised floats (timm pixel mode)', () => {
  // A 60 × 60 rectangle of a 64 × 64 image: 3600 draws per channel.
  const [H, W] = [64, 64];
  const p: ErasingParams = { top: 3, left: 1, h: 60, w: 60, seed: 99 };
  const img = edgeImage(C, H, W, 4);
  const planes = () => ({ data: img.slice(), offset: 0, c: C, h: H, w: W });
  const uniform = new RandomErasing({ mode: 'rand' });
  const u = planes();
  uniform.eraseBytes(u, p);
  const su = split([...u.data], p, C, H, W);
  assert.deepEqual(su.outside, split([...img], p, C, H, W).outside, 'outside the rectangle nothing changes');
  const us = stats(su.inside);
  // U{0..255}: mean 127.5, std 73.9.
  assert.ok(Math.abs(us.mean - 127.5) < 2 && Math.abs(us.std - 73.9) < 1.5, `uniform ${JSON.stringify(us)}`);
  const normal = new RandomErasing({ mode: 'rand', fillColor: [123.675, 116.28, 103.53], fillStd: [58.395, 57.12, 57.375] });
  const nb = planes();
  normal.eraseBytes(nb, p);
  const perChannel = [0, 1, 2].map((k) => split([...nb.data], p, C, H, W).inside.slice(k * 3600, (k + 1) * 3600));
  // Truncation and clipping move the moments (the mean by about −½, the std down by the clipped tails).
  REF.moments.forEach(([m, sd], k) => {
    const s = stats(perChannel[k]);
    // 3600 draws: standard errors of about 1 for the mean and 0.7 for the std.
    assert.ok(Math.abs(s.mean - m) < 3 && Math.abs(s.std - sd) < 2, `channel ${k}: ${JSON.stringify(s)} vs ${m}, ${sd}`);
    assert.ok(perChannel[k].every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  });
  torch.tidy(() => {
    const x = torch.randn([C, H, W], { generator: new torch.Generator().manualSeed(1) });
    const pixel = new RandomErasing({ mode: 'rand', fillColor: 0, fillStd: 1 });
    const out = (
      pixel as unknown as { augmentation: { reference(i: torch.Tensor, q: ErasingParams): torch.Tensor } }
    ).augmentation.reference(x, p);
    const s = split(Array.from(out.toTypedArray() as Float32Array), p, C, H, W);
    assert.deepEqual(s.outside, split(Array.from(x.toTypedArray() as Float32Array), p, C, H, W).outside);
    const fs = stats(s.inside);
    assert.ok(Math.abs(fs.mean) < 0.05 && Math.abs(fs.std - 1) < 0.03, `pixel mode ${JSON.stringify(fs)}`);
    assert.ok(
      s.inside.some((v) => !Number.isInteger(v)),
      'no rounding on float images',
    );
  });
});

test('the draws: probability, area ratio, log-uniform aspect, offsets from numpy-style exclusive randint', () => {
  const t = new RandomErasing({ eraseProb: 0.25, maxAreaRatio: 1 / 3 });
  let erased = 0;
  const n = 4000;
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    const rng = Rng.forSample(2, 0, i);
    const p = t.sample(rng, 224, 224);
    // Replayed by hand from a copy of the stream.
    const r = Rng.forSample(2, 0, i);
    if (r.random() >= 0.25) {
      assert.equal(p, null);
      continue;
    }
    erased++;
    assert.ok(p);
    const aspect = Math.exp(r.uniform(Math.log(0.3), Math.log(10 / 3)));
    const area = 224 * 224 * r.uniform(0.02, 1 / 3);
    const h = Math.min(roundHalfEven(Math.sqrt(area * aspect)), 224);
    const w = Math.min(roundHalfEven(Math.sqrt(area / aspect)), 224);
    assert.deepEqual([p.h, p.w], [h, w]);
    assert.ok(p.top >= 0 && (h === 224 ? p.top === 0 : p.top < 224 - h), `top ${p.top} for h ${h}`);
    assert.ok(p.left >= 0 && (w === 224 ? p.left === 0 : p.left < 224 - w), `left ${p.left} for w ${w}`);
    ratios.push((p.h * p.w) / 224 ** 2);
  }
  assert.ok(Math.abs(erased / n - 0.25) < 0.02, `erased ${erased / n}`);
  // The clamp at the image size only trims very elongated rectangles: the mean stays near (0.02 + 1/3) / 2.
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  assert.ok(Math.abs(mean - (0.02 + 1 / 3) / 2) < 0.015, `mean area ratio ${mean}`);
});

test('bad options and images are refused with the option named', () => {
  assert.throws(() => new RandomErasing({ eraseProb: 1.5 }), /eraseProb must be in \[0, 1\]/);
  assert.throws(() => new RandomErasing({ minAreaRatio: 0.5, maxAreaRatio: 0.2 }), /minAreaRatio ≤ maxAreaRatio/);
  assert.throws(() => new RandomErasing({ fillStd: 1 }), /fillStd needs mode 'rand'/);
  assert.throws(() => new RandomErasing({ aspectRange: [2, 1] }), /aspectRange/);
  const p: ErasingParams = { top: 0, left: 0, h: 2, w: 2, seed: 1 };
  const t = new RandomErasing({ fillColor: [1, 2, 3] });
  assert.throws(
    () => t.eraseBytes({ data: new Uint8Array(16), offset: 0, c: 1, h: 4, w: 4 }, p),
    /fillColor has 3 values for 1-channel/,
  );
  torch.tidy(() => {
    const rand = new RandomErasing({ mode: 'rand', eraseProb: 1 });
    assert.throws(() => rand.apply(torch.zeros([3, 8, 8]), new Rng(1)), /mode 'rand' on float images needs fillStd/);
  });
});
