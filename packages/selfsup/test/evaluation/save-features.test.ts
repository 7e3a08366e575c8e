import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { encodeNpy, saveFeatures, saveNpy } from '../../src/evaluation/save-features.js';
import { py } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-save-features-'));

test('saveFeatures writes .npy and .safetensors files that numpy / a hand-parsed header read back exactly', () => {
  torch.manualSeed(2);
  torch.tidy(() => {
    const features = torch.randn([7, 5]);
    const labels = torch.tensor([3, 0, 2, 2, 1, 0, 9], { dtype: 'int64' });
    const npy = saveFeatures(join(dir, 'f.npy'), { features, labels });
    assert.deepEqual(npy, [join(dir, 'f.npy'), join(dir, 'f.labels.npy')]);
    const st = saveFeatures(join(dir, 'f.safetensors'), { features, labels }, { metadata: { backbone: 'resnet18' } });
    const got = py<{
      npy: { f: number[][]; l: number[]; fd: string; ld: string; fs: number[]; ls: number[] };
      st: { f: number[][]; l: number[]; meta: Record<string, string>; fdt: string; ldt: string; crc: string };
    }>(
      `
import numpy as np, zlib
f = np.load(D['npy'][0]); l = np.load(D['npy'][1])
with open(D['st'][0], 'rb') as fh: raw = fh.read()
n = int.from_bytes(raw[:8], 'little'); header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
def tensor(name, dtype):
    info = header[name]; a, b = info['data_offsets']
    return torch.frombuffer(bytearray(data[a:b]), dtype=dtype).reshape(info['shape'])
OUT = {
  'npy': {'f': f.astype(np.float64).tolist(), 'l': l.tolist(), 'fd': f.dtype.str, 'ld': l.dtype.str, 'fs': list(f.shape), 'ls': list(l.shape)},
  'st': {'f': tensor('features', torch.float32), 'l': tensor('labels', torch.int64), 'meta': header['__metadata__'],
         'fdt': header['features']['dtype'], 'ldt': header['labels']['dtype'], 'crc': '%08x' % zlib.crc32(data)},
}`,
      { npy, st },
    );
    // float32 values become doubles exactly on both sides: exact equality.
    assert.deepEqual(got.npy.f, features.toList());
    assert.deepEqual(got.npy.l, [3, 0, 2, 2, 1, 0, 9]);
    assert.deepEqual([got.npy.fd, got.npy.ld, got.npy.fs, got.npy.ls], ['<f4', '<i8', [7, 5], [7]]);
    assert.deepEqual(got.st.f, features.toList());
    assert.deepEqual(got.st.l, [3, 0, 2, 2, 1, 0, 9]);
    // The metadata given, and the data section's CRC-32 as Python's zlib computes it.
    assert.deepEqual(
      [got.st.fdt, got.st.ldt, got.st.meta],
      ['F32', 'I64', { backbone: 'resnet18', 'selfsup.data_crc32': got.st.crc }],
    );
  });
});

test('encodeNpy: version 1.0 header, data 64-byte aligned; other dtypes, shapes and non-contiguous tensors', () => {
  torch.tidy(() => {
    const t = torch.arange(0, 6, 1, { dtype: 'float64' }).reshape(2, 3).t(); // non-contiguous (3, 2)
    const b = encodeNpy(t);
    assert.deepEqual([...b.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = b.readUInt16LE(8);
    assert.equal((10 + hlen) % 64, 0);
    assert.equal(b[10 + hlen - 1], 0x0a);
    assert.match(
      b.subarray(10, 10 + hlen).toString('latin1'),
      /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(3, 2\), \} *\n$/,
    );
    assert.deepEqual(
      [...new Float64Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length))],
      [0, 3, 1, 4, 2, 5],
    );
    const paths = {
      u8: join(dir, 'u8.npy'),
      b: join(dir, 'b.npy'),
      s: join(dir, 's.npy'),
      i32: join(dir, 'i32.npy'),
    };
    saveNpy(paths.u8, torch.tensor(Uint8Array.from([0, 7, 255]), { shape: [1, 3] }));
    saveNpy(paths.b, torch.tensor([true, false, true]));
    saveNpy(paths.s, torch.tensor(Float32Array.from([2.5]), { shape: [] }));
    saveNpy(paths.i32, torch.tensor(Int32Array.from([-1, 5, 1 << 30, 0]), { shape: [2, 1, 2] }));
    const got = py<Record<string, { v: unknown; dt: string; shape: number[] }>>(
      `
import numpy as np
OUT = {k: (lambda a: {'v': a.tolist(), 'dt': a.dtype.str, 'shape': list(a.shape)})(np.load(p)) for k, p in D.items()}`,
      paths,
    );
    assert.deepEqual(got.u8, { v: [[0, 7, 255]], dt: '|u1', shape: [1, 3] });
    assert.deepEqual(got.b, { v: [true, false, true], dt: '|b1', shape: [3] });
    assert.deepEqual(got.s, { v: 2.5, dt: '<f4', shape: [] });
    assert.deepEqual(got.i32, { v: [[[-1, 5]], [[1 << 30, 0]]], dt: '<i4', shape: [2, 1, 2] });
    assert.throws(() => saveFeatures(join(dir, 'x.txt'), { features: t, labels: t }), /\.safetensors or \.npy/);
    assert.ok(readFileSync(paths.u8).length > 64);
  });
});
