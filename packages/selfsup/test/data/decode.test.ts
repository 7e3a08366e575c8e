import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DecodeError, decodeImage } from '../../src/data/decode.js';
import { py } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-decode-'));

/** Fixture files written by PIL, and PIL's own decoding of them as RGB (or L) uint8 arrays. */
const ref = py<Record<string, { shape: number[]; data: number[] }>>(
  `from PIL import Image
import numpy as np
d = D['dir']; rng = np.random.RandomState(0)
rgb = Image.fromarray(rng.randint(0, 256, (7, 5, 3), dtype=np.uint8))
rgba = Image.fromarray(rng.randint(0, 256, (6, 4, 4), dtype=np.uint8), 'RGBA')
gray = Image.fromarray(rng.randint(0, 256, (5, 6), dtype=np.uint8), 'L')
files = {}
rgb.save(f'{d}/rgb.png'); files['rgb.png'] = rgb
rgba.save(f'{d}/rgba.png'); files['rgba.png'] = rgba
gray.save(f'{d}/gray.png'); files['gray.png'] = gray
pal = rgb.quantize(16); pal.save(f'{d}/palette.png'); files['palette.png'] = pal
g16 = Image.fromarray((rng.randint(0, 256, (4, 3)) * 257).astype(np.uint16)); g16.save(f'{d}/gray16.png'); files['gray16.png'] = g16
rgb.save(f'{d}/rgb.tiff'); files['rgb.tiff'] = rgb
rgb.save(f'{d}/rgb.webp', lossless=True); files['rgb.webp'] = rgb
pal.save(f'{d}/pal.gif'); files['pal.gif'] = pal
# EXIF orientation 6 (rotate 90° clockwise to display): PIL's exif_transpose gives the upright image.
ex = rgb.getexif(); ex[0x0112] = 6; rgb.save(f'{d}/oriented.png', exif=ex); files['oriented.png'] = Image.open(f'{d}/oriented.png')
OUT = {}
from PIL import ImageOps
for name, im in files.items():
    im = ImageOps.exif_transpose(Image.open(f'{d}/{name}'))
    if name == 'gray16.png':
        a = (np.asarray(im).astype(np.float64) / 257).round().astype(np.uint8); a = np.repeat(a[..., None], 3, 2)
    else:
        a = np.asarray(im.convert('RGB'))
    OUT[name] = {'shape': list(a.shape), 'data': a.reshape(-1).tolist()}
a = np.asarray(gray); OUT['gray.png:L'] = {'shape': list(a.shape) + [1], 'data': a.reshape(-1).tolist()}`,
  { dir },
);

test('decodes PNG, TIFF, WebP, GIF, palette, alpha, grayscale, 16-bit and EXIF-rotated files as PIL does', async () => {
  for (const [key, r] of Object.entries(ref)) {
    const [name, mode] = key.split(':');
    const img = await decodeImage(join(dir, name), { channels: mode === 'L' ? 1 : 3 });
    assert.deepEqual([img.height, img.width, img.channels], r.shape, `${key} shape`);
    const diff = Math.max(...Array.from(img.data, (v, i) => Math.abs(v - r.data[i])));
    // 16-bit → 8-bit rounding may differ by one level between libvips and this reference.
    assert.ok(diff <= (name === 'gray16.png' ? 1 : 0), `${key}: max difference ${diff}`);
  }
});

test("JPEG and CMYK JPEG decode to PIL's pixels", async () => {
  const jref = py<Record<string, { shape: number[]; data: number[] }>>(
    `from PIL import Image
import numpy as np
d = D['dir']
x = np.linspace(0, 255, 24 * 32 * 3).reshape(24, 32, 3).astype(np.uint8)
Image.fromarray(x).save(f'{d}/smooth.jpg', quality=95)
Image.fromarray(x).convert('CMYK').save(f'{d}/cmyk.jpg', quality=95)
OUT = {n: {'shape': list(np.asarray(Image.open(f'{d}/{n}').convert('RGB')).shape), 'data': np.asarray(Image.open(f'{d}/{n}').convert('RGB')).reshape(-1).tolist()} for n in ['smooth.jpg', 'cmyk.jpg']}`,
    { dir },
  );
  for (const [name, r] of Object.entries(jref)) {
    const img = await decodeImage(join(dir, name));
    assert.deepEqual([img.height, img.width, img.channels], r.shape, name);
    // Both are libjpeg-turbo's pixels; the CMYK one converted with PIL's own arithmetic.
    const max = Math.max(...Array.from(img.data, (v, i) => Math.abs(v - r.data[i])));
    assert.equal(max, 0, `${name}: max abs difference ${max}`);
  }
});

test('empty, truncated, corrupt and non-image files raise a DecodeError naming the file', async () => {
  const cases: Record<string, Buffer> = {
    'empty.jpg': Buffer.alloc(0),
    'text.png': Buffer.from('hello, not an image'),
    'truncated.png': readFileSync(join(dir, 'rgb.png')).subarray(0, 60),
    'truncated.jpg': readFileSync(join(dir, 'smooth.jpg')).subarray(0, 400),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    await assert.rejects(
      decodeImage(p),
      (e: Error) => e instanceof DecodeError && e.message.startsWith(`${p}: cannot decode image`),
      name,
    );
  }
  await assert.rejects(decodeImage(join(dir, 'missing.png')), /missing\.png: cannot decode image \(ENOENT/);
});
