/**
 * CMYK and YCCK JPEGs decode to PIL's pixels (`Image.open(f).convert('RGB' | 'L')`), byte for
 * byte: PIL-written Adobe CMYK, and YCCK / marker-less CMYK files written with libjpeg by a small
 * C helper (PIL cannot write those), all decoded by PIL as the reference.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../src/data/decode.js';
import { py } from '../helpers.js';

const HELPER = fileURLToPath(new URL('../../../test/data/write-cmyk-jpeg.c', import.meta.url));

test('CMYK (PIL-written, Adobe-inverted), YCCK and marker-less CMYK JPEGs: exactly PIL’s RGB and L pixels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-cmyk-'));
  const [w, h] = [19, 13];
  // Smooth ramps plus noise: every ink level in use, and fully-inked / blank corners.
  const raw = new Uint8Array(w * h * 4);
  let seed = 7;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const ramp = c === 3 ? (y * 255) / (h - 1) : ((x + c * 5) * 255) / (w - 1);
        raw[(y * w + x) * 4 + c] = Math.max(0, Math.min(255, Math.round(ramp + ((seed >> 16) % 41) - 20)));
      }
    }
  }
  writeFileSync(join(dir, 'in.raw'), raw);
  const bin = join(dir, 'write-cmyk-jpeg');
  execFileSync('g++', ['-x', 'c', HELPER, '-o', bin, '-ljpeg']);
  for (const mode of ['ycck', 'cmyk-bare'])
    execFileSync(bin, [String(w), String(h), join(dir, 'in.raw'), join(dir, `${mode}.jpg`), mode]);
  const ref = py<Record<string, { rgb: number[]; l: number[]; mode: string; adobe: number | null; transform: number | null }>>(
    `from PIL import Image
import numpy as np
d = D['dir']
a = np.frombuffer(open(f'{d}/in.raw', 'rb').read(), np.uint8).reshape(D['h'], D['w'], 4)
Image.fromarray(a, 'CMYK').save(f'{d}/pil-cmyk.jpg', quality=95)
OUT = {}
for name in ['pil-cmyk', 'ycck', 'cmyk-bare']:
    im = Image.open(f'{d}/{name}.jpg')
    OUT[name] = {'rgb': np.asarray(im.convert('RGB')).reshape(-1).tolist(), 'l': np.asarray(im.convert('L')).reshape(-1).tolist(),
                 'mode': im.mode, 'adobe': im.info.get('adobe'), 'transform': im.info.get('adobe_transform')}`,
    { dir, w, h },
  );
  // The files are what they claim: 4-component; Adobe CMYK (transform 0), Adobe YCCK (transform 2), no Adobe marker.
  assert.deepEqual(Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, [v.mode, v.adobe !== null, v.transform]])), {
    'pil-cmyk': ['CMYK', true, 0],
    ycck: ['CMYK', true, 2],
    'cmyk-bare': ['CMYK', false, null],
  });
  for (const name of Object.keys(ref)) {
    const file = join(dir, `${name}.jpg`);
    const rgb = await decodeImage(file);
    assert.deepEqual([rgb.height, rgb.width, rgb.channels], [h, w, 3], name);
    const diff = Math.max(...Array.from(rgb.data, (v, i) => Math.abs(v - ref[name].rgb[i])));
    assert.equal(diff, 0, `${name}: RGB differs from PIL by up to ${diff} levels`);
    const grey = await decodeImage(file, { channels: 1 });
    const gdiff = Math.max(...Array.from(grey.data, (v, i) => Math.abs(v - ref[name].l[i])));
    assert.equal(gdiff, 0, `${name}: L differs from PIL by up to ${gdiff} levels`);
  }
});
