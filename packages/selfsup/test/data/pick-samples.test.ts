import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { ImageFolder } from '../../src/data/datasets/image-folder.js';
import { DecodeError } from '../../src/data/decode.js';
import { permutation } from '../../src/data/loader/samplers.js';
import { pickSamples } from '../../src/data/pick-samples.js';

/** An unlabeled folder of 6 PNGs (pixel value 40·i) with the ones in `bad` overwritten by garbage. */
async function folder(bad: number[]): Promise<ImageFolder> {
  const root = join(mkdtempSync(join(tmpdir(), 'selfsup-pick-')), 'x');
  mkdirSync(root);
  for (let i = 0; i < 6; i++) {
    const file = join(root, `${i}.png`);
    if (bad.includes(i)) writeFileSync(file, 'garbage');
    else
      await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 40 * i, g: 40 * i, b: 40 * i } } })
        .png()
        .toFile(file);
  }
  return ImageFolder.open(root);
}

async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    return { value: await f(), warnings };
  } finally {
    console.warn = warn;
  }
}

test("pickSamples: the seed's permutation; 'error' raises the DecodeError, 'skip' warns and takes the next image", async () => {
  const ds = await folder([2]);
  const order = permutation(6, 5);
  const all = await pickSamples(await folder([]), 6, 5);
  assert.deepEqual(
    all.map((p) => p.idx),
    order,
  );
  // Each sample is the file its index names (pixel 40·i), so skipping does not shift images.
  for (const { idx, sample } of all) assert.equal(sample.img.data[0], 40 * idx);

  const bad = order.indexOf(2);
  await assert.rejects(pickSamples(ds, bad + 1, 5), (e: Error) => e instanceof DecodeError && /2\.png/.test(e.message));
  await assert.rejects(pickSamples(ds, bad + 1, 5, 'error'), DecodeError);
  const { value, warnings } = await quietly(() => pickSamples(ds, bad + 1, 5, 'skip'));
  const expected = order.filter((i) => i !== 2).slice(0, bad + 1);
  assert.deepEqual(
    value.map((p) => p.idx),
    expected,
  );
  for (const { idx, sample } of value) assert.equal(sample.img.data[0], 40 * idx);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /skipping undecodable image: .*2\.png: cannot decode image/);
  // Fewer decodable images than asked: all of them; none at all: an error saying so.
  assert.equal((await quietly(() => pickSamples(ds, 10, 5, 'skip'))).value.length, 5);
  const none = await folder([0, 1, 2, 3, 4, 5]);
  await assert.rejects(
    quietly(() => pickSamples(none, 2, 0, 'skip')),
    /none of its 6 images decodes/,
  );
});
