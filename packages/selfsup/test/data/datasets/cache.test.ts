import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CachedDataset } from '../../../src/data/datasets/cache.js';
import { ImageFolder } from '../../../src/data/datasets/image-folder.js';
import { py } from '../../helpers.js';

test('decoded cache: built once, reused, equal to decoding, rebuilt when a file changes or the cache is damaged', async () => {
  const root = mkdtempSync(join(tmpdir(), 'selfsup-cache-'));
  const cacheDir = join(root, 'cache');
  py(
    `from PIL import Image
import os, numpy as np
rng = np.random.RandomState(0)
for c in ['a', 'b']:
    os.makedirs(os.path.join(D['root'], 'data', c))
    for i in range(3): Image.fromarray(rng.randint(0, 256, (5 + i, 4, 3), dtype=np.uint8)).save(os.path.join(D['root'], 'data', c, f'{i}.png'))
OUT = 0`,
    { root },
  );
  const ds = await ImageFolder.open(join(root, 'data'));
  const first = await CachedDataset.open(ds, cacheDir);
  assert.equal(first.fromCache, false);
  const second = await CachedDataset.open(ds, cacheDir);
  assert.equal(second.fromCache, true);
  assert.equal(second.length, 6);
  assert.deepEqual(second.classes, ['a', 'b']);
  for (let i = 0; i < ds.length; i++) {
    const [a, b] = [await ds.get(i), await second.get(i)];
    assert.deepEqual([b.img.height, b.img.width, b.label], [a.img.height, a.img.width, a.label]);
    assert.deepEqual(Array.from(b.img.data), Array.from(a.img.data));
  }
  // Touching a source file changes the key: a new cache is built.
  const f = join(root, 'data', 'a', '1.png');
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  assert.equal((await CachedDataset.open(ds, cacheDir)).fromCache, false);
  // A damaged cache file is rebuilt with a warning.
  const file = (await CachedDataset.open(ds, cacheDir)).file;
  writeFileSync(file, Buffer.from([1, 2, 3]));
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    const rebuilt = await CachedDataset.open(ds, cacheDir);
    assert.equal(rebuilt.fromCache, false);
  } finally {
    console.warn = warn;
  }
  assert.match(warnings[0], /ignoring damaged decoded cache/);
  assert.equal(readdirSync(cacheDir).filter((n) => n.includes('.tmp-')).length, 0);
});
