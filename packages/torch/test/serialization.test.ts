import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, py } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-ser-'));

function isTensor(v: unknown): v is torch.Tensor {
  return v instanceof torch.Tensor;
}

test('reads Python torch.save files: a torchvision state_dict (OrderedDict) and an AdamW state', () => {
  const path = join(dir, 'py_resnet.pth');
  const opt = join(dir, 'py_opt.pth');
  const ref = py<{ sums: Record<string, number>; shapes: Record<string, number[]>; optsum: number; steps: number[] }>(
    `import torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18(num_classes=10)
sd = m.state_dict()
torch.save(sd, D['path'])
sums = {k: float(v.double().sum()) for k, v in sd.items()}
o = torch.optim.AdamW(m.parameters(), lr=0.01)
m(torch.randn(2, 3, 32, 32)).sum().backward(); o.step()
torch.save(o.state_dict(), D['opt'])
osd = o.state_dict()
OUT = {'sums': sums, 'shapes': {k: list(v.shape) for k, v in sd.items()},
       'optsum': float(sum(s['exp_avg'].double().sum() for s in osd['state'].values())), 'steps': [float(s['step']) for s in osd['state'].values()]}`,
    { path, opt },
  );
  torch.tidy(() => {
    const sd = torch.load(path) as Record<string, torch.Tensor>;
    assert.deepEqual(Object.keys(sd), Object.keys(ref.sums), 'same keys in the same order, _metadata dropped');
    for (const [k, v] of Object.entries(sd)) {
      assert.deepEqual(v.shape, ref.shapes[k], k);
      assertClose(v.double().sum(), ref.sums[k], 1e-9, k);
    }
    assert.equal(sd['bn1.num_batches_tracked'].dtype, 'int64');
    const o = torch.load(opt) as {
      state: Record<string, { exp_avg: torch.Tensor; step: torch.Tensor | number }>;
      param_groups: { lr: number; params: number[] }[];
    };
    assert.equal(o.param_groups[0].lr, 0.01);
    assert.deepEqual(o.param_groups[0].params.slice(0, 3), [0, 1, 2]);
    let s = 0;
    for (const st of Object.values(o.state)) s += st.exp_avg.double().sum().item();
    assertClose(s, ref.optsum, 1e-9, 'exp_avg sum');
    const steps = Object.values(o.state).map((st) => (isTensor(st.step) ? st.step.item() : st.step));
    assert.deepEqual(steps, ref.steps);
  });
});

test('Python torch.load reads selfsup files and loads them into torchvision with strict=True', () => {
  const src = join(dir, 'py_resnet_src.pth');
  const ours = join(dir, 'ours.pth');
  py(
    `import torchvision
torch.manual_seed(1)
torch.save(torchvision.models.resnet18(num_classes=10).state_dict(), D['src'])
OUT = 0`,
    { src },
  );
  torch.tidy(() => {
    const sd = torch.load(src) as Record<string, torch.Tensor>;
    const t = torch
      .tensor(
        [
          [1.5, -2],
          [3, 4],
        ],
        { dtype: 'float64' },
      )
      .t(); // non-contiguous on purpose
    torch.save(
      {
        model: sd,
        epoch: 3,
        lr: 0.1,
        name: 'resnet18',
        ok: true,
        none: null,
        tags: ['a', 'b'],
        one: [t],
        big: 2 ** 40,
        i8: torch.tensor([1, -2], { dtype: 'int8' }),
        b: torch.tensor([true, false]),
        h: torch.tensor([0.5, 2], { dtype: 'float16' }),
      },
      ours,
    );
  });
  const out = py<Record<string, unknown>>(
    `import torchvision
c = torch.load(D['ours'])
m = torchvision.models.resnet18(num_classes=10)
r = m.load_state_dict(c['model'], strict=True)
ref = torch.load(D['src'])
OUT = {'missing': len(r.missing_keys), 'unexpected': len(r.unexpected_keys), 'equal': all(torch.equal(ref[k], c['model'][k]) for k in ref),
       'epoch': c['epoch'], 'lr': c['lr'], 'name': c['name'], 'ok': c['ok'], 'none': c['none'], 'tags': c['tags'], 'one': c['one'][0], 'big': c['big'],
       'i8': c['i8'], 'i8dtype': str(c['i8'].dtype), 'b': c['b'], 'h': c['h'].float(), 'hdtype': str(c['h'].dtype)}`,
    { ours, src },
  );
  assert.equal(out.missing, 0);
  assert.equal(out.unexpected, 0);
  assert.equal(out.equal, true, 'every tensor bit-identical after the round trip');
  assert.deepEqual(
    [out.epoch, out.lr, out.name, out.ok, out.none, out.tags, out.big],
    [3, 0.1, 'resnet18', true, null, ['a', 'b'], 2 ** 40],
  );
  assert.deepEqual(out.one, [
    [1.5, 3],
    [-2, 4],
  ]);
  assert.deepEqual(out.i8, [1, -2]);
  assert.equal(out.i8dtype, 'torch.int8');
  assert.deepEqual(out.b, [true, false]);
  assert.deepEqual(out.h, [0.5, 2]);
  assert.equal(out.hdtype, 'torch.float16');
  // And back again: what we wrote reads back identically here.
  torch.tidy(() => {
    const back = torch.load(ours) as { one: torch.Tensor[]; tags: string[] };
    assert.deepEqual(back.one[0].toList(), [
      [1.5, 3],
      [-2, 4],
    ]);
    assert.deepEqual(back.tags, ['a', 'b']);
  });
});

test('safetensors: selfsup writes what a hand-written Python parser reads, and reads Python-made files', () => {
  const ours = join(dir, 'ours.safetensors');
  torch.tidy(() => {
    torch.save(
      {
        enc: { w: torch.arange(6, undefined, 1, { dtype: 'float32' }).view(2, 3), b: torch.tensor([1, 2], { dtype: 'int64' }) },
        h: torch.tensor([1.5], { dtype: 'bfloat16' }),
      },
      ours,
      {
        metadata: { format: 'pt' },
      },
    );
  });
  const raw = readFileSync(ours);
  const n = Number(raw.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'header padded to 8 bytes');
  const parsed = py<Record<string, unknown>>(
    `import struct, zlib
b = open(D['p'], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); data = bytearray(b[8+n:])
dt = {'F32': torch.float32, 'I64': torch.int64, 'BF16': torch.bfloat16}
def get(k):
    e = h[k]; s, t = e['data_offsets']
    return torch.frombuffer(data[s:t], dtype=dt[e['dtype']]).reshape(e['shape']) if t > s else torch.empty(e['shape'])
OUT = {'w': get('enc.w'), 'b': get('enc.b'), 'h': get('h').float(), 'meta': h['__metadata__'], 'crc': '%08x' % zlib.crc32(bytes(data))}
wb = {'x': torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64), 'y': torch.tensor([7], dtype=torch.int32)}
hdr = {}; off = 0; blob = b''
for k, v in wb.items():
    raw = v.numpy().tobytes(); hdr[k] = {'dtype': {torch.float64: 'F64', torch.int32: 'I32'}[v.dtype], 'shape': list(v.shape), 'data_offsets': [off, off + len(raw)]}; off += len(raw); blob += raw
hj = json.dumps(hdr).encode(); hj += b' ' * ((8 - len(hj) % 8) % 8)
open(D['q'], 'wb').write(struct.pack('<Q', len(hj)) + hj + blob)`,
    { p: ours, q: join(dir, 'py.safetensors') },
  );
  assert.deepEqual(parsed.w, [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(parsed.b, [1, 2]);
  assert.deepEqual(parsed.h, [1.5]);
  assert.deepEqual(parsed.meta, { format: 'pt', 'selfsup.data_crc32': parsed.crc });
  torch.tidy(() => {
    const t = torch.load(join(dir, 'py.safetensors')) as Record<string, torch.Tensor>;
    assert.deepEqual(t.x.toList(), [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(t.x.dtype, 'float64');
    assert.equal(t.y.dtype, 'int32');
    assert.deepEqual(torch.safetensors.loadFile(ours).metadata, { format: 'pt' });
  });
});

test('corrupt, truncated and hostile files fail with an error naming the file', () => {
  const good = join(dir, 'good.pth');
  torch.tidy(() => torch.save({ w: torch.ones([100]) }, good));
  const bytes = readFileSync(good);
  const trunc = join(dir, 'trunc.pth');
  writeFileSync(trunc, bytes.subarray(0, bytes.length - 40));
  assert.throws(
    () => torch.load(trunc),
    (e: Error) => e.message.includes(trunc),
  );
  const garbage = join(dir, 'garbage.pth');
  writeFileSync(garbage, 'not a checkpoint');
  assert.throws(() => torch.load(garbage), /garbage\.pth: not a PyTorch \.pth file/);
  assert.throws(() => torch.load(join(dir, 'missing.pth')), /ENOENT.*missing\.pth/);
  const st = join(dir, 'bad.safetensors');
  writeFileSync(st, Buffer.concat([Buffer.from([200, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]));
  assert.throws(() => torch.load(st), /bad\.safetensors: invalid safetensors file: header length 200/);
  const st2 = join(dir, 'bad2.safetensors');
  const hdr = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hdr.length));
  writeFileSync(st2, Buffer.concat([len, hdr, Buffer.alloc(8)]));
  assert.throws(() => torch.load(st2), /outside the 8-byte data section/);
  // A pickle naming a global outside the allow-list is refused (never executed).
  const evil = join(dir, 'evil.pth');
  py(
    `import argparse
torch.save({'args': argparse.Namespace(lr=0.1), 'w': torch.ones(2)}, D['p'])
OUT = 0`,
    { p: evil },
  );
  assert.throws(() => torch.load(evil), /refusing to load global 'argparse\.Namespace'/);
  torch.tidy(() => {
    const inert = torch.load(evil, { unknownGlobals: 'inert' }) as { args: { global: string; state: unknown }; w: torch.Tensor };
    assert.equal(inert.args.global, 'argparse.Namespace');
    assert.deepEqual(inert.args.state, { lr: 0.1 });
    assert.deepEqual(inert.w.toList(), [1, 1]);
  });
});

test('a failed save leaves the previous file intact and no temporary behind', () => {
  const path = join(dir, 'keep.pth');
  torch.tidy(() => torch.save({ w: torch.ones([3]) }, path));
  const before = readFileSync(path);
  const dead = torch.ones([3]);
  dead.dispose();
  assert.throws(() => torch.save({ w: dead }, path), /used after dispose/);
  assert.deepEqual(readFileSync(path), before);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')).length, 0);
  assert.ok(existsSync(path));
});
