/**
 * Pillow's point ops and Sharpness (pil-ops.ts) against Debian's PIL 9.4 run in the test, byte for
 * byte, on RGB and L images: noisy, low-contrast, constant and two-valued channels (the edge cases
 * of autocontrast's and equalize's histograms), and images too small for the smoothing kernel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Planes } from '../../../src/data/transforms/bytes.js';
import {
  pilAutocontrastBytes,
  pilEqualizeBytes,
  pilInvertBytes,
  pilPosterizeBytes,
  pilSharpnessBytes,
  pilSolarizeAddBytes,
  pilSolarizeBytes,
} from '../../../src/data/transforms/pil-ops.js';
import { py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

interface Case {
  name: string;
  c: number;
  h: number;
  w: number;
  data: number[];
}

/** Channel k of an `(C, H, W)` image set to `fn(i)` for pixel i. */
function setChannel(data: Uint8Array, k: number, n: number, fn: (i: number) => number): void {
  for (let i = 0; i < n; i++) data[k * n + i] = fn(i);
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, c: number, h: number, w: number, data: Uint8Array) => out.push({ name, c, h, w, data: [...data] });
  add('edges RGB', 3, 17, 23, edgeImage(3, 17, 23, 5));
  add('edges L', 1, 17, 23, edgeImage(1, 17, 23, 9));
  const odd = edgeImage(3, 12, 9, 2);
  const n = 12 * 9;
  // Low contrast in R, a constant G, two values in B.
  setChannel(odd, 0, n, (i) => 60 + ((i * 7) % 23));
  setChannel(odd, 1, n, () => 77);
  setChannel(odd, 2, n, (i) => (i % 5 === 0 ? 200 : 10));
  add('mixed channels', 3, 12, 9, odd);
  // Too few pixels for equalize's step (N − last < 255), and too small for the 3×3 kernel.
  add('tiny', 3, 2, 5, edgeImage(3, 2, 5, 4));
  return out;
}

const ARGS = {
  posterize: [0, 1, 3, 4, 7, 8],
  solarize: [0, 1, 77, 128, 200, 256],
  solarizeAdd: [0, 12, 55, 110],
  sharpness: [0.1, 0.55, 1, 1.37, 1.9],
};

test("autocontrast, equalize, invert, posterize, solarize, solarize_add and Sharpness equal Pillow's, byte for byte", () => {
  const imgs = cases();
  const ref = py<Record<string, number[][]>[]>(
    `import numpy as np
from PIL import Image, ImageOps, ImageEnhance
def to_pil(c, h, w, data):
    a = np.array(data, dtype=np.uint8).reshape(c, h, w)
    return Image.fromarray(a[0] if c == 1 else a.transpose(1, 2, 0))
def flat(img):
    a = np.asarray(img)
    return (a.transpose(2, 0, 1) if a.ndim == 3 else a).reshape(-1).tolist()
def solarize_add(img, add, thresh=128):
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut * (3 if img.mode == 'RGB' else 1))
OUT = []
for case in D['cases']:
    img = to_pil(case['c'], case['h'], case['w'], case['data'])
    a = D['args']
    OUT.append({
        'autocontrast': [flat(ImageOps.autocontrast(img))],
        'equalize': [flat(ImageOps.equalize(img))],
        'invert': [flat(ImageOps.invert(img))],
        'posterize': [flat(ImageOps.posterize(img, b)) for b in a['posterize']],
        'solarize': [flat(ImageOps.solarize(img, t)) for t in a['solarize']],
        'solarizeAdd': [flat(solarize_add(img, v)) for v in a['solarizeAdd']],
        'sharpness': [flat(ImageEnhance.Sharpness(img).enhance(f)) for f in a['sharpness']],
    })`,
    { cases: imgs, args: ARGS },
  );
  imgs.forEach((img, i) => {
    const run = (op: (p: Planes) => void): number[] => {
      const p: Planes = { data: Uint8Array.from(img.data), offset: 0, c: img.c, h: img.h, w: img.w };
      op(p);
      return [...p.data];
    };
    const r = ref[i];
    assert.deepEqual(run(pilAutocontrastBytes), r.autocontrast[0], `${img.name}: autocontrast`);
    assert.deepEqual(run(pilEqualizeBytes), r.equalize[0], `${img.name}: equalize`);
    assert.deepEqual(run(pilInvertBytes), r.invert[0], `${img.name}: invert`);
    for (const [k, b] of ARGS.posterize.entries())
      assert.deepEqual(
        run((p) => pilPosterizeBytes(p, b)),
        r.posterize[k],
        `${img.name}: posterize ${b}`,
      );
    for (const [k, t] of ARGS.solarize.entries())
      assert.deepEqual(
        run((p) => pilSolarizeBytes(p, t)),
        r.solarize[k],
        `${img.name}: solarize ${t}`,
      );
    for (const [k, v] of ARGS.solarizeAdd.entries())
      assert.deepEqual(
        run((p) => pilSolarizeAddBytes(p, v)),
        r.solarizeAdd[k],
        `${img.name}: solarize_add ${v}`,
      );
    for (const [k, f] of ARGS.sharpness.entries())
      assert.deepEqual(
        run((p) => pilSharpnessBytes(p, f)),
        r.sharpness[k],
        `${img.name}: sharpness ${f}`,
      );
  });
});

test('the ops work in place on an image inside a larger buffer, leaving the rest alone', () => {
  const img = edgeImage(3, 6, 7, 1);
  const buf = new Uint8Array(img.length + 20).fill(9);
  buf.set(img, 10);
  pilEqualizeBytes({ data: buf, offset: 10, c: 3, h: 6, w: 7 });
  pilSharpnessBytes({ data: buf, offset: 10, c: 3, h: 6, w: 7 }, 1.5);
  assert.deepEqual([...buf.subarray(0, 10)], Array(10).fill(9));
  assert.deepEqual([...buf.subarray(10 + img.length)], Array(10).fill(9));
  const alone = { data: img.slice(), offset: 0, c: 3, h: 6, w: 7 };
  pilEqualizeBytes(alone);
  pilSharpnessBytes(alone, 1.5);
  assert.deepEqual([...buf.subarray(10, 10 + img.length)], [...alone.data]);
});

test('bad arguments are refused with the op in the message', () => {
  const p: Planes = { data: new Uint8Array(2 * 4), offset: 0, c: 2, h: 2, w: 2 };
  assert.throws(() => pilInvertBytes(p), /pilInvertBytes: .*1 or 3 channels, got 2/);
  const q: Planes = { data: new Uint8Array(4), offset: 0, c: 1, h: 2, w: 2 };
  assert.throws(() => pilPosterizeBytes(q, 9), /bits must be an integer in \[0, 8\]/);
});
