import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import {
  brightnessBytes,
  contrastBytes,
  flipBytes,
  greyscaleBytes,
  hueBytes,
  type Planes,
  saturationBytes,
  solarizeBytes,
} from '../../../src/data/transforms/bytes.js';
import * as T from '../../../src/data/transforms/functional.js';
import { ColorJitter, RandomApply, RandomFlip, RandomGrayscale, RandomSolarize } from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';

/** A random `(3, h, w)` uint8 image, with flat and saturated patches (the HSV edge cases). */
function image(seed: number, h: number, w: number): Uint8Array {
  const r = new Rng(seed);
  const d = Uint8Array.from({ length: 3 * h * w }, () => r.randint(0, 256));
  for (let i = 0; i < h * w; i += 7) d[i] = d[h * w + i] = d[2 * h * w + i] = r.randint(0, 256); // grey pixels
  for (let i = 3; i < h * w; i += 11) d[i] = 255; // max at R
  for (let i = 5; i < h * w; i += 13) d[h * w + i] = d[i]; // R = G ties
  return d;
}

/** Runs a bytes transform on a copy (at an offset) and the tensor transform; asserts equal bytes. */
function same(
  data: Uint8Array,
  h: number,
  w: number,
  bytes: (p: Planes) => void,
  tensor: (x: torch.Tensor) => torch.Tensor,
  what: string,
) {
  const buf = new Uint8Array(data.length + 4);
  buf.set(data, 4);
  bytes({ data: buf, offset: 4, c: 3, h, w });
  const ref = torch.tidy(() =>
    tensor(torch.tensor(data, { shape: [3, h, w] }))
      .contiguous()
      .toBytes(),
  );
  assert.deepEqual(buf.subarray(4), ref, what);
}

test('JS colour and flip ops equal the tensor ops (torchvision semantics) byte for byte', () => {
  const rng = new Rng(1);
  for (let k = 0; k < 40; k++) {
    const [h, w] = [rng.randint(1, 20), rng.randint(1, 20)];
    const d = image(k, h, w);
    const f = rng.uniform(0, 2);
    const hue = rng.uniform(-0.5, 0.5);
    same(
      d,
      h,
      w,
      (p) => brightnessBytes(p, f),
      (x) => T.adjustBrightness(x, f),
      `brightness ${f}`,
    );
    same(
      d,
      h,
      w,
      (p) => contrastBytes(p, f),
      (x) => T.adjustContrast(x, f),
      `contrast ${f}`,
    );
    same(
      d,
      h,
      w,
      (p) => saturationBytes(p, f),
      (x) => T.adjustSaturation(x, f),
      `saturation ${f}`,
    );
    same(
      d,
      h,
      w,
      (p) => hueBytes(p, hue),
      (x) => T.adjustHue(x, hue),
      `hue ${hue}`,
    );
    same(d, h, w, greyscaleBytes, (x) => T.rgbToGrayscale(x, 3), 'greyscale');
    same(d, h, w, (p) => flipBytes(p, 'horizontal'), T.hflip, 'hflip');
    same(d, h, w, (p) => flipBytes(p, 'vertical'), T.vflip, 'vflip');
    same(
      d,
      h,
      w,
      (p) => solarizeBytes(p, 128),
      (x) => T.solarize(x, 128),
      'solarize',
    );
  }
  // The extremes of hue: ±0.5 turns and 0.
  for (const hue of [-0.5, 0.5, 0])
    same(
      image(99, 9, 9),
      9,
      9,
      (p) => hueBytes(p, hue),
      (x) => T.adjustHue(x, hue),
      `hue ${hue}`,
    );
});

test('the JS forms of the random transforms draw the same parameters and give the same pixels', () => {
  const transforms = [
    new RandomApply([new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })], 0.8),
    new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 }),
    new RandomFlip(0.5, 'vertical'),
    new RandomGrayscale(0.5),
    new RandomSolarize(100, 0.5),
  ];
  for (const t of transforms) {
    for (let seed = 0; seed < 25; seed++) {
      const d = image(seed + 50, 12, 10);
      same(
        d,
        12,
        10,
        (p) => t.applyBytes?.(p, new Rng(seed)),
        (x) => t.apply(x, new Rng(seed)),
        `${t.constructor.name} seed ${seed}`,
      );
    }
  }
  assert.equal(new RandomGrayscale(0.5, false).applyBytes, undefined, 'one-channel greyscale changes the shape: no JS form');
});

test('the hue op equals the tensor adjustHue on every one of the 16,777,216 RGB colours', () => {
  // The addon runs it four pixels at a time in float32 vector lanes (one division for the middle
  // channel's quotient, not three) and what is left one by one: every colour goes through the
  // lanes here, in four slices, and a 16th of them through the one-by-one path.
  const rows = 1024;
  const n = rows * 4096;
  const hue = -0.43;
  for (let part = 0; part < 4; part++) {
    const data = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      const c = part * n + i;
      data[i] = c >>> 16;
      data[n + i] = (c >>> 8) & 255;
      data[2 * n + i] = c & 255;
    }
    const ref = torch.tidy(() =>
      T.adjustHue(torch.tensor(data, { shape: [3, rows, 4096] }), hue)
        .contiguous()
        .toBytes(),
    );
    // The addon's one-by-one path (what is left after the lanes) on a 1 × 7 image per group: every
    // 16th group of 7 colours, before the lanes overwrite `data`.
    const small = new Uint8Array(21);
    for (let at = 0; at + 7 <= n; at += 7 * 16) {
      for (let c = 0; c < 3; c++) small.set(data.subarray(c * n + at, c * n + at + 7), c * 7);
      hueBytes({ data: small, offset: 0, c: 3, h: 1, w: 7 }, hue);
      for (let c = 0; c < 3; c++)
        for (let j = 0; j < 7; j++)
          if (small[c * 7 + j] !== ref[c * n + at + j])
            assert.fail(`one by one: colour ${part * n + at + j} plane ${c}: ${small[c * 7 + j]} vs ${ref[c * n + at + j]}`);
    }
    hueBytes({ data, offset: 0, c: 3, h: rows, w: 4096 }, hue);
    if (Buffer.compare(Buffer.from(data.buffer), Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength)) !== 0) {
      const bad = data.findIndex((v, i) => v !== ref[i]);
      const px = part * n + (bad % n);
      assert.fail(
        `colour (${px >>> 16}, ${(px >>> 8) & 255}, ${px & 255}) plane ${Math.floor(bad / n)}: ${data[bad]} vs ${ref[bad]}`,
      );
    }
  }
});
