import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readIdx } from '../../../src/data/datasets/idx.js';

function idx(shape: number[], data: number[]): Buffer {
  const h = Buffer.alloc(4 + 4 * shape.length);
  h[2] = 0x08;
  h[3] = shape.length;
  for (const [i, d] of shape.entries()) h.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([h, Buffer.from(data)]);
}

const FASHION = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
const dir = mkdtempSync(join(tmpdir(), 'selfsup-idx-'));

test('reads raw and gzipped IDX files with their shape', () => {
  const data = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];
  writeFileSync(join(dir, 'a-idx3-ubyte'), idx([2, 2, 3], data));
  writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(idx([2, 2, 3], data)));
  for (const f of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
    const r = readIdx(join(dir, f));
    assert.deepEqual(r.shape, [2, 2, 3]);
    assert.deepEqual(Array.from(r.data), data);
  }
});

test('truncated, corrupt and non-IDX files fail naming the file', () => {
  const t = join(dir, 'trunc');
  writeFileSync(t, idx([4, 3], [1, 2, 3]));
  assert.throws(() => readIdx(t), /trunc: IDX data holds 3 bytes, the header's shape \[4,3\] needs 12/);
  const g = join(dir, 'bad.gz');
  writeFileSync(g, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  assert.throws(() => readIdx(g), /bad\.gz: corrupt gzip data/);
  const j = join(dir, 'photo.jpg');
  writeFileSync(j, Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  assert.throws(() => readIdx(j), /photo\.jpg: not an IDX file/);
});

test('reads the Fashion-MNIST test labels from the Debian package: 1,000 of each class', {
  skip: !existsSync(FASHION) && !process.env.CI,
}, () => {
  const r = readIdx(FASHION);
  assert.deepEqual(r.shape, [10000]);
  const counts = new Array(10).fill(0);
  for (const v of r.data) counts[v]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
});
