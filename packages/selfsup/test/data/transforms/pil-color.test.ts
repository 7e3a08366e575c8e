import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Planes } from '../../../src/data/transforms/bytes.js';
import {
  pilBrightnessBytes,
  pilContrastBytes,
  pilGreyscaleBytes,
  pilHueBytes,
  pilSaturationBytes,
} from '../../../src/data/transforms/pil-color.js';
import { ColorJitter, type JitterParams, RandomGrayscale } from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { maxAbsDiff, py } from '../../helpers.js';

/** RGB triples whose fixed-point luma 19595 R + 38470 G + 7471 B ends in exactly half a level (ties). */
const LUMA_TIES: [number, number, number][] = [];
for (let r = 0; r < 256 && LUMA_TIES.length < 64; r++)
  for (let g = 0; g < 256; g++)
    for (let b = 0; b < 256; b++) if ((r * 19595 + g * 38470 + b * 7471) % 65536 === 32768) LUMA_TIES.push([r, g, b]);

/**
 * A seeded uint8 image `(C, H, W)`: random colours (every hue sector, saturations near 0 and 1),
 * plus a grey row (R = G = B), a row of pure primaries and a row of luma ties.
 */
function image(c: number, h: number, w: number, seed: number): Uint8Array {
  const data = new Uint8Array(c * h * w);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const n = h * w;
  for (let j = 0; j < w; j++) {
    for (let k = 0; k < c; k++) data[k * n + j] = (j * 37) & 255; // grey row
    if (h > 1) for (let k = 0; k < c; k++) data[k * n + w + j] = k === j % 3 ? 255 : j % 2 ? 0 : 3;
    if (h > 2 && c === 3) for (let k = 0; k < 3; k++) data[k * n + 2 * w + j] = LUMA_TIES[(j * 7) % LUMA_TIES.length][k];
  }
  return data;
}

const planes = (data: Uint8Array, c: number, h: number, w: number): Planes => ({ data: data.slice(), offset: 0, c, h, w });

test("Pillow's colour ops equal torchvision's functional ops on PIL images byte for byte (RGB and L)", () => {
  const [h, w] = [24, 31];
  const rgb = image(3, h, w, 7);
  const grey = image(1, h, w, 11);
  const factors = [0, 0.2, 0.5, 0.9137, 1, 1.3, 1.8];
  const hues = [-0.5, -0.37, -0.1, 0, 0.05, 0.2591, 0.5];
  const ref = py<Record<string, number[][]>>(
    `import numpy as np
from PIL import Image
import torchvision.transforms.functional as F
rgb = Image.fromarray(np.array(D['rgb'], dtype=np.uint8).reshape(3, D['h'], D['w']).transpose(1, 2, 0))
grey = Image.fromarray(np.array(D['grey'], dtype=np.uint8).reshape(D['h'], D['w']))
def flat(img):
    a = np.asarray(img)
    return (a.transpose(2, 0, 1) if a.ndim == 3 else a).reshape(-1).tolist()
OUT = {}
for name, fn in [('brightness', F.adjust_brightness), ('contrast', F.adjust_contrast), ('saturation', F.adjust_saturation)]:
    OUT[name] = [flat(fn(rgb, f)) for f in D['factors']]
    OUT[name + '_L'] = [flat(fn(grey, f)) for f in D['factors']]
OUT['hue'] = [flat(F.adjust_hue(rgb, f)) for f in D['hues']]
OUT['grey'] = [flat(F.rgb_to_grayscale(rgb, 3))]`,
    { rgb: [...rgb], grey: [...grey], h, w, factors, hues },
  );
  const ops = { brightness: pilBrightnessBytes, contrast: pilContrastBytes, saturation: pilSaturationBytes };
  for (const [name, op] of Object.entries(ops)) {
    factors.forEach((f, k) => {
      const p = planes(rgb, 3, h, w);
      op(p, f);
      assert.deepEqual([...p.data], ref[name][k], `${name} ${f} (RGB)`);
      const g = planes(grey, 1, h, w);
      op(g, f);
      assert.deepEqual([...g.data], ref[`${name}_L`][k], `${name} ${f} (L)`);
    });
  }
  hues.forEach((f, k) => {
    const p = planes(rgb, 3, h, w);
    pilHueBytes(p, f);
    assert.deepEqual([...p.data], ref.hue[k], `hue ${f}`);
  });
  const p = planes(rgb, 3, h, w);
  pilGreyscaleBytes(p);
  assert.deepEqual([...p.data], ref.grey[0]);
  // The references are not the identity: every op changed most pixels for a factor away from 1.
  const changed = (a: number[]) => a.filter((v, i) => v !== rgb[i]).length / a.length;
  for (const name of ['brightness', 'contrast', 'saturation']) assert.ok(changed(ref[name][5]) > 0.5, name);
  assert.ok(changed(ref.hue[2]) > 0.5);
});

test("Pillow's hue shift equals torchvision's PIL adjust_hue on 12,319 random pixels (every sector, every rounding path), in lanes and one by one", () => {
  const [h, w] = [97, 127];
  const rgb = image(3, h, w, 99);
  const hues = [-0.43, 0.1234];
  const ref = py<number[][]>(
    `import numpy as np
from PIL import Image
import torchvision.transforms.functional as F
rgb = Image.fromarray(np.array(D['rgb'], dtype=np.uint8).reshape(3, D['h'], D['w']).transpose(1, 2, 0))
OUT = [np.asarray(F.adjust_hue(rgb, f)).transpose(2, 0, 1).reshape(-1).tolist() for f in D['hues']]`,
    { rgb: [...rgb], h, w, hues },
  );
  hues.forEach((f, k) => {
    const p = planes(rgb, 3, h, w);
    pilHueBytes(p, f);
    const bad = [...p.data].findIndex((v, i) => v !== ref[k][i]);
    assert.equal(bad, -1, `hue ${f}: first difference at byte ${bad}`);
    // The addon runs groups of pixels in vector lanes and what is left one by one: 1 × 7 images
    // put every pixel on the one-by-one path.
    const n = h * w;
    for (let at = 0; at + 7 <= n; at += 7) {
      const small = new Uint8Array(21);
      for (let c = 0; c < 3; c++) small.set(rgb.subarray(c * n + at, c * n + at + 7), c * 7);
      pilHueBytes({ data: small, offset: 0, c: 3, h: 1, w: 7 }, f);
      for (let c = 0; c < 3; c++)
        for (let j = 0; j < 7; j++)
          assert.equal(small[c * 7 + j], ref[k][c * n + at + j], `hue ${f}, one by one: pixel ${at + j} channel ${c}`);
    }
  });
});

test("Pillow's hue shift equals torchvision's PIL adjust_hue on every one of the 16,777,216 RGB colours", () => {
  // The addon runs four pixels per step in vector lanes and the last n mod 4 one by one: every
  // colour goes through the vector path here (4096 × 4096), the random test above covers both.
  const side = 4096;
  const n = side * side;
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-hue-'));
  try {
    const hues = [0.2591, -0.43];
    const files = py<string[]>(
      `import numpy as np
from PIL import Image
import torchvision.transforms.functional as F
i = np.arange(1 << 24, dtype=np.uint32)
rgb = np.stack([i >> 16, (i >> 8) & 255, i & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)
OUT = []
for k, f in enumerate(D['hues']):
    path = D['dir'] + '/hue%d.raw' % k
    np.ascontiguousarray(np.asarray(F.adjust_hue(Image.fromarray(rgb), f)).transpose(2, 0, 1)).tofile(path)
    OUT.append(path)`,
      { hues, dir },
    );
    hues.forEach((f, k) => {
      const data = new Uint8Array(3 * n);
      for (let i = 0; i < n; i++) {
        data[i] = i >>> 16;
        data[n + i] = (i >>> 8) & 255;
        data[2 * n + i] = i & 255;
      }
      pilHueBytes({ data, offset: 0, c: 3, h: side, w: side }, f);
      const ref = readFileSync(files[k]);
      assert.equal(ref.length, 3 * n);
      if (Buffer.compare(Buffer.from(data.buffer), ref) !== 0) {
        const bad = data.findIndex((v, i) => v !== ref[i]);
        const px = bad % n;
        assert.fail(
          `hue ${f}: colour (${px >>> 16}, ${(px >>> 8) & 255}, ${px & 255}) plane ${Math.floor(bad / n)}: ${data[bad]} vs PIL ${ref[bad]}`,
        );
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ColorJitter { backend: 'pillow' } equals torchvision's ColorJitter on PIL images for given parameters, per image and batched", () => {
  const [h, w] = [20, 18];
  const data = [image(3, h, w, 3), image(3, h, w, 4), image(3, h, w, 5)];
  const params: JitterParams[] = [
    { order: [3, 1, 0, 2], brightness: 1.41, contrast: 0.63, saturation: 1.77, hue: -0.21 },
    { order: [0, 2, 3, 1], brightness: 0.35, contrast: 1.5, saturation: 0.12, hue: 0.44 },
    { order: [2, 3, 1, 0], brightness: 1.0, contrast: null, saturation: 1.2, hue: null },
  ];
  const ref = py<number[][]>(
    `import numpy as np
from PIL import Image
import torchvision.transforms.functional as F
OUT = []
for a, p in zip(D['imgs'], D['params']):
    img = Image.fromarray(np.array(a, dtype=np.uint8).reshape(3, D['h'], D['w']).transpose(1, 2, 0))
    fns = [(F.adjust_brightness, p['brightness']), (F.adjust_contrast, p['contrast']), (F.adjust_saturation, p['saturation']), (F.adjust_hue, p['hue'])]
    for k in p['order']:
        fn, f = fns[k]
        if f is not None:
            img = fn(img, f)
    OUT.append(np.asarray(img).transpose(2, 0, 1).reshape(-1).tolist())`,
    { imgs: data.map((d) => [...d]), params, h, w },
  );
  const tensors = data.map((d) => torch.tensor(d, { shape: [3, h, w] }));
  params.forEach((p, k) => {
    assert.equal(maxAbsDiff(ColorJitter.applyParams(tensors[k], p, 'pillow').flatten(), ref[k]), 0, `image ${k}`);
    // The tensor backend computes torchvision's tensor result, which differs.
    if (k < 2) assert.ok(maxAbsDiff(ColorJitter.applyParams(tensors[k], p).flatten(), ref[k]) > 0);
  });
  // Drawn parameters: the batch and the JS bytes path equal the per-image path.
  const jitter = new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, backend: 'pillow' });
  const batch = torch.stack(tensors);
  const rngs = () => [0, 1, 2].map((i) => Rng.forSample(5, 0, i, 0));
  const { applyBatch, applyBytes } = jitter;
  assert.ok(applyBatch && applyBytes, 'ColorJitter has batch and bytes kernels');
  const batched = applyBatch(batch, rngs());
  rngs().forEach((r, i) => {
    const one = jitter.apply(tensors[i], r);
    assert.equal(maxAbsDiff(batched.select(0, i), one), 0, `batch row ${i}`);
    const p = planes(data[i], 3, h, w);
    applyBytes(p, rngs()[i]);
    assert.equal(maxAbsDiff(one.flatten(), [...p.data]), 0, `bytes ${i}`);
  });
  assert.throws(() => jitter.apply(tensors[0].float(), rngs()[0]), /ColorJitter with backend 'pillow' needs uint8/);
});

test("RandomGrayscale { backend: 'pillow' } is PIL's convert('L') (rounded luma), 3 or 1 channels", () => {
  const [h, w] = [9, 13];
  const img = torch.tensor(image(3, h, w, 21), { shape: [3, h, w] });
  const ref = py<number[]>(
    `import numpy as np
from PIL import Image
OUT = np.asarray(Image.fromarray(np.array(D['img'], dtype=np.uint8).transpose(1, 2, 0)).convert('L')).reshape(-1).tolist()`,
    { img: img.toList() },
  );
  const always = new Rng(1);
  const three = new RandomGrayscale(1, true, 'pillow').apply(img, always);
  for (let c = 0; c < 3; c++) assert.equal(maxAbsDiff(three.select(0, c).flatten(), ref), 0);
  const one = new RandomGrayscale(1, false, 'pillow').apply(img, always);
  assert.deepEqual(one.shape, [1, h, w]);
  assert.equal(maxAbsDiff(one.flatten(), ref), 0);
  // The tensor backend truncates the luma: it differs somewhere.
  assert.ok(maxAbsDiff(new RandomGrayscale(1, false).apply(img, always).flatten(), ref) > 0);
  const batch = torch.stack([img, img]);
  const rows = new RandomGrayscale(1, true, 'pillow').applyBatch?.(batch, [new Rng(2), new Rng(3)]);
  assert.ok(rows);
  assert.equal(maxAbsDiff(rows.select(0, 1).select(0, 2).flatten(), ref), 0);
});
