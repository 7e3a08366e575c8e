import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../../src/data/decode.js';
import { pixelKernels } from '../../src/data/pixels-native.js';
import { py } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-jpeg-'));

interface Case {
  path: string;
  kind: string;
  /** PIL's decoded pixels, `(H, W, C)` flattened, and shape. */
  pixels: number[];
  shape: number[];
}

test('plain JPEGs (baseline, progressive, restarts, every subsampling, grey) and CMYK decode natively to exactly the pixels of PIL; EXIF and damaged ones are left to sharp', async () => {
  const cases = py<Case[]>(
    `import numpy as np, os
from PIL import Image
rng = np.random.RandomState(0); out = []
def save(img, kind, **kw):
    p = os.path.join(D['dir'], '%d.jpg' % len(out)); img.save(p, **kw)
    a = np.array(Image.open(p).convert('L' if kind == 'grey' else 'RGB'))
    out.append({'path': p, 'kind': kind, 'pixels': a.reshape(-1).tolist(), 'shape': list(a.shape)})
for w, h in [(32, 32), (33, 17), (2, 3), (17, 9), (1, 1), (231, 224)]:
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 7 + yy * 3) % 256, (xx * 2 + yy * 11) % 256, (xx * yy) % 256], -1)
    img = Image.fromarray(np.clip(base + rng.normal(0, 30, base.shape), 0, 255).astype(np.uint8))
    for sub, name in [(0, '444'), (1, '422'), (2, '420')]:
        for q in [30, 90]: save(img, name, quality=q, subsampling=sub)
    save(img.convert('L'), 'grey', quality=80)
    save(img, 'restart', quality=80, restart_marker_blocks=1)
    save(img, 'progressive', quality=80, progressive=True)
    exif = Image.Exif(); exif[0x0112] = 6
    save(img, 'exif', quality=80, exif=exif.tobytes())
    save(img.convert('CMYK'), 'cmyk', quality=80)
OUT = out`,
    { dir },
  );
  const { decodeJpeg } = pixelKernels();
  const counts: Record<string, number> = {};
  for (const c of cases) {
    const bytes = readFileSync(c.path);
    const img = decodeJpeg(bytes, c.kind === 'grey' ? 1 : 3);
    if (c.kind === 'exif') {
      assert.equal(img, null, `${c.kind} is left to sharp`);
      continue;
    }
    assert.ok(img, `${c.kind} ${c.shape} decoded`);
    assert.deepEqual([img.height, img.width], c.shape.slice(0, 2), c.path);
    assert.deepEqual(Array.from(img.data), c.pixels, `${c.kind} ${c.shape}: PIL's pixels`);
    counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  }
  assert.deepEqual(counts, { '444': 12, '422': 12, '420': 12, grey: 6, restart: 6, progressive: 6, cmyk: 6 });
  // Colour JPEGs asked for one channel go to sharp (its luminance is not libjpeg's Y).
  assert.equal(decodeJpeg(readFileSync(cases[0].path), 1), null);
  // Through decodeImage: the same pixels whichever decoder runs (EXIF-rotated ones through sharp).
  const big = cases.find((c) => c.kind === '420' && c.shape[0] === 224) as Case;
  assert.deepEqual(Array.from((await decodeImage(big.path)).data), big.pixels);
  const exif = cases.find((c) => c.kind === 'exif' && c.shape[0] === 17) as Case;
  const turned = await decodeImage(exif.path);
  assert.deepEqual([turned.height, turned.width], [33, 17], 'orientation 6 turns 33×17 upright to 17 wide');
  // Truncated and damaged data, and other formats: not decoded here; decodeImage names the file.
  const bytes = readFileSync(big.path);
  assert.equal(decodeJpeg(bytes.subarray(0, bytes.length >> 1), 3), null);
  assert.equal(decodeJpeg(Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 2]), 3), null);
  assert.equal(decodeJpeg(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), 3), null);
  await assert.rejects(decodeImage(bytes.subarray(0, bytes.length >> 1), {}, 'cut.jpg'), /cut\.jpg: cannot decode image/);
  assert.throws(() => decodeJpeg(bytes, 2 as 3), /channels must be 1 or 3/);
});

test('the crop kernels refuse boxes outside the image, empty sizes and short buffers, naming the kernel', () => {
  const k = pixelKernels();
  const src = new Uint8Array(4 * 5 * 3); // a 4 × 5 RGB image
  const out = new Uint8Array(3 * 2 * 2);
  const sums = [2 ** 31 - 1, false, 2 ** 31 - 1, false, false] as const;
  // Boxes (top, left, h, w) with a 2 × 2 output and no resampling pass where the box is 2 × 2.
  const bad: [number, number, number, number][] = [
    [3, 0, 2, 2], // past the bottom
    [0, 4, 2, 2], // past the right edge
    [-1, 0, 2, 2],
    [0, 0, 0, 2],
  ];
  for (const [top, left, h, w] of bad) {
    assert.throws(
      () => k.resizedCropInto(src, 4, 5, 3, top, left, h, w, 2, 2, null, null, out, 0),
      /resizedCropInto: crop box or sizes out of range/,
    );
    assert.throws(
      () => k.aaResizedCropInto(src, 4, 5, 3, top, left, h, w, 2, 2, null, null, ...sums, out, 0),
      /aaResizedCropInto: crop box or sizes out of range/,
    );
  }
  // A source shorter than H × W × C, and an output buffer too short for (C, outH, outW) at the offset.
  assert.throws(() => k.resizedCropInto(src.subarray(1), 4, 5, 3, 0, 0, 2, 2, 2, 2, null, null, out, 0), /crop box or sizes/);
  assert.throws(() => k.aaResizedCropInto(src, 4, 5, 3, 0, 0, 2, 2, 2, 2, null, null, ...sums, out, 1), /sizes out of range/);
  // The same calls inside the image copy the box's pixels as (C, 2, 2).
  src.forEach((_, i) => {
    src[i] = i;
  });
  for (const run of [
    () => k.resizedCropInto(src, 4, 5, 3, 1, 2, 2, 2, 2, 2, null, null, out, 0),
    () => k.aaResizedCropInto(src, 4, 5, 3, 1, 2, 2, 2, 2, 2, null, null, ...sums, out, 0),
  ]) {
    out.fill(0);
    run();
    // Pixel (y, x) of the image, channel c, is byte (y·5 + x)·3 + c.
    const expected = [0, 1, 2].flatMap((c) => [
      (1 * 5 + 2) * 3 + c,
      (1 * 5 + 3) * 3 + c,
      (2 * 5 + 2) * 3 + c,
      (2 * 5 + 3) * 3 + c,
    ]);
    assert.deepEqual([...out], expected);
  }
});
