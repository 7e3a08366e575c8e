import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { py } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-integrity-'));

test('.pth written by PyTorch: a flipped byte inside a tensor record is refused naming the entry; Python agrees', () => {
  const good = join(dir, 'ckpt.pth');
  // Python reports where the bytes of each storage record start, from the local header it wrote.
  const ref = py<{ starts: Record<string, number>; sums: Record<string, number> }>(
    `import zipfile, struct
torch.manual_seed(0)
sd = {'a': torch.randn(64), 'b': torch.randn(8, 16), 'c': torch.arange(10)}
torch.save(sd, D['p'])
raw = open(D['p'], 'rb').read()
starts = {}
with zipfile.ZipFile(D['p']) as z:
    for i in z.infolist():
        n, e = struct.unpack('<HH', raw[i.header_offset + 26:i.header_offset + 30])
        starts[i.filename] = i.header_offset + 30 + n + e
OUT = {'starts': starts, 'sums': {k: float(v.double().sum()) for k, v in sd.items()}}`,
    { p: good },
  );
  torch.tidy(() => {
    const sd = torch.load(good) as Record<string, torch.Tensor>;
    for (const k of ['a', 'b', 'c']) assert.ok(Math.abs(sd[k].double().sum().item() - ref.sums[k]) < 1e-4, k);
  });
  // Which storage key holds 'b' is PyTorch's choice: corrupt each storage record in turn.
  const records = Object.keys(ref.starts).filter((n) => /\/data\/\d+$/.test(n));
  assert.equal(records.length, 3);
  const flipped: Record<string, string> = {};
  for (const entry of records) {
    const bytes = Buffer.from(readFileSync(good));
    bytes[ref.starts[entry] + 5] ^= 0x10;
    const bad = join(dir, `flipped-${records.indexOf(entry)}.pth`);
    writeFileSync(bad, bytes);
    flipped[entry] = bad;
    assert.throws(
      () => torch.load(bad),
      (e: Error) => e.message.includes(bad) && e.message.includes(`entry ${entry} is corrupt`),
      entry,
    );
  }
  // The independent check: Python's zipfile.testzip finds the same entries bad.
  const testzip = py<Record<string, string | null>>(
    'import zipfile\nOUT = {k: zipfile.ZipFile(p).testzip() for k, p in D["files"].items()}',
    { files: flipped },
  );
  assert.deepEqual(testzip, Object.fromEntries(records.map((r) => [r, r])));
});

test('.pth written by selfsup round-trips and a flipped byte in its data is refused', () => {
  const good = join(dir, 'ours.pth');
  torch.tidy(() => torch.save({ w: torch.arange(256, undefined, 1, { dtype: 'float32' }) }, good));
  const bytes = Buffer.from(readFileSync(good));
  torch.tidy(() => assert.equal((torch.load(good) as { w: torch.Tensor }).w.sum().item(), (255 * 256) / 2));
  // The last float of w sits just before the central directory's trailing records; find it by value.
  const needle = Buffer.alloc(4);
  needle.writeFloatLE(200);
  const at = bytes.indexOf(needle);
  assert.ok(at > 0);
  bytes[at] ^= 1;
  const bad = join(dir, 'ours-flipped.pth');
  writeFileSync(bad, bytes);
  assert.throws(() => torch.load(bad), /ours-flipped\.pth: entry archive\/data\/0 is corrupt/);
});

test('safetensors written by selfsup carry the data CRC-32 (as Python zlib computes it) and refuse a flipped byte', () => {
  const good = join(dir, 'w.safetensors');
  torch.tidy(() => torch.save({ x: torch.linspace(-1, 1, 100), y: torch.arange(7) }, good, { metadata: { note: 'kept' } }));
  const ref = py<{ recorded: string; crc: string; note: string }>(
    `import struct, json, zlib
b = open(D['p'], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; m = json.loads(b[8:8 + n])['__metadata__']
OUT = {'recorded': m['selfsup.data_crc32'], 'crc': '%08x' % zlib.crc32(b[8 + n:]), 'note': m['note']}`,
    { p: good },
  );
  assert.equal(ref.recorded, ref.crc);
  assert.equal(ref.note, 'kept');
  const loaded = torch.safetensors.loadFile(good);
  assert.deepEqual(loaded.metadata, { note: 'kept' });
  assert.deepEqual(loaded.tensors.y.toList(), [0, 1, 2, 3, 4, 5, 6]);
  for (const t of Object.values(loaded.tensors)) t.dispose();

  const bytes = Buffer.from(readFileSync(good));
  bytes[bytes.length - 3] ^= 0x40;
  const bad = join(dir, 'w-flipped.safetensors');
  writeFileSync(bad, bytes);
  assert.throws(() => torch.load(bad), /w-flipped\.safetensors: invalid safetensors file: data section is corrupt/);
});

test('safetensors from elsewhere, without the checksum, still load', () => {
  const path = join(dir, 'plain.safetensors');
  const hdr = Buffer.from(
    JSON.stringify({ __metadata__: { format: 'pt' }, x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hdr.length));
  const data = Buffer.alloc(8);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  writeFileSync(path, Buffer.concat([len, hdr, data]));
  torch.tidy(() => assert.deepEqual((torch.load(path) as { x: torch.Tensor }).x.toList(), [1.5, -2]));
});
