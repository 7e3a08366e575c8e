import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { crc32c, maskedCrc32c, SummaryWriter } from '../../../src/engine/logging/tensorboard.js';
import { PYTHON } from '../../helpers.js';

/**
 * An independent reader of event files: Python's struct for TFRecord framing, a bitwise CRC-32C,
 * and Google's protobuf runtime (Debian's python3-protobuf) parsing messages declared from the
 * field numbers of TensorBoard's event.proto / summary.proto / tensor.proto.
 */
const DECODER = `
import json, struct, sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
F = descriptor_pb2.FieldDescriptorProto

def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

fd = descriptor_pb2.FileDescriptorProto(name='tb_test.proto', package='tb', syntax='proto3')
def msg(name, fields, oneof=()):
    # Fields named in oneof belong to one oneof, as in the .proto files, which gives them presence.
    m = fd.message_type.add(name=name)
    if oneof: m.oneof_decl.add(name='what')
    for fname, num, ftype, label, tname in fields:
        f = m.field.add(name=fname, number=num, type=ftype, label=label)
        if tname: f.type_name = tname
        if fname in oneof: f.oneof_index = 0
    return m
O, R = F.LABEL_OPTIONAL, F.LABEL_REPEATED
msg('Dim', [('size', 1, F.TYPE_INT64, O, None), ('name', 2, F.TYPE_STRING, O, None)])
msg('TensorShapeProto', [('dim', 2, F.TYPE_MESSAGE, R, '.tb.Dim')])
msg('TensorProto', [('dtype', 1, F.TYPE_INT32, O, None), ('tensor_shape', 2, F.TYPE_MESSAGE, O, '.tb.TensorShapeProto'),
    ('string_val', 8, F.TYPE_BYTES, R, None)])
msg('PluginData', [('plugin_name', 1, F.TYPE_STRING, O, None), ('content', 2, F.TYPE_BYTES, O, None)])
msg('SummaryMetadata', [('plugin_data', 1, F.TYPE_MESSAGE, O, '.tb.PluginData')])
msg('Image', [('height', 1, F.TYPE_INT32, O, None), ('width', 2, F.TYPE_INT32, O, None),
    ('colorspace', 3, F.TYPE_INT32, O, None), ('encoded_image_string', 4, F.TYPE_BYTES, O, None)])
msg('Value', [('tag', 1, F.TYPE_STRING, O, None), ('simple_value', 2, F.TYPE_FLOAT, O, None),
    ('image', 4, F.TYPE_MESSAGE, O, '.tb.Image'), ('tensor', 8, F.TYPE_MESSAGE, O, '.tb.TensorProto'),
    ('metadata', 9, F.TYPE_MESSAGE, O, '.tb.SummaryMetadata')], ('simple_value', 'image', 'tensor'))
msg('Summary', [('value', 1, F.TYPE_MESSAGE, R, '.tb.Value')])
msg('Event', [('wall_time', 1, F.TYPE_DOUBLE, O, None), ('step', 2, F.TYPE_INT64, O, None),
    ('file_version', 3, F.TYPE_STRING, O, None), ('summary', 5, F.TYPE_MESSAGE, O, '.tb.Summary')], ('file_version', 'summary'))
pool = descriptor_pool.DescriptorPool(); pool.Add(fd)
Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName('tb.Event'))

buf = open(sys.argv[1], 'rb').read(); pos = 0; events = []
while pos < len(buf):
    header = buf[pos:pos + 8]; (n,) = struct.unpack('<Q', header); (hcrc,) = struct.unpack('<I', buf[pos + 8:pos + 12])
    data = buf[pos + 12:pos + 12 + n]; (dcrc,) = struct.unpack('<I', buf[pos + 12 + n:pos + 16 + n])
    assert hcrc == masked(header), 'length crc'
    assert dcrc == masked(data), 'data crc'
    pos += 16 + n
    e = Event(); e.ParseFromString(data)
    out = {'wall_time': e.wall_time, 'step': e.step}
    if e.HasField('file_version'): out['file_version'] = e.file_version
    if e.HasField('summary'):
        vals = []
        for v in e.summary.value:
            d = {'tag': v.tag}
            if v.HasField('simple_value'):
                x = v.simple_value
                d['simple_value'] = 'NaN' if x != x else x  # JSON has no NaN
            if v.HasField('image'):
                d['image'] = {'height': v.image.height, 'width': v.image.width, 'colorspace': v.image.colorspace,
                    'png_hex': v.image.encoded_image_string.hex()}
            if v.HasField('tensor'):
                d['tensor'] = {'dtype': v.tensor.dtype, 'shape': [x.size for x in v.tensor.tensor_shape.dim],
                    'strings': [s.decode('utf8') for s in v.tensor.string_val]}
            if v.HasField('metadata'): d['plugin'] = v.metadata.plugin_data.plugin_name
            vals.append(d)
        out['values'] = vals
    events.append(out)
assert pos == len(buf)
print(json.dumps(events))
`;

interface Decoded {
  wall_time: number;
  step: number;
  file_version?: string;
  values?: {
    tag: string;
    simple_value?: number | 'NaN';
    image?: { height: number; width: number; colorspace: number; png_hex: string };
    tensor?: { dtype: number; shape: number[]; strings: string[] };
    plugin?: string;
  }[];
}

function decode(path: string): Decoded[] {
  const r = spawnSync(PYTHON, ['-c', DECODER, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python decoder failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Decoded[];
}

const f32 = (x: number) => Math.fround(x);

test('CRC-32C matches the standard check value and RFC 3720 test vectors', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  // iSCSI (RFC 3720 B.4): 32 bytes of zeros, 32 bytes of 0xFF, bytes 0..31.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  // Masking is a 15-bit rotation plus a constant, so it is a bijection: distinct CRCs stay distinct.
  const c = crc32c(Buffer.from('abc'));
  assert.equal(maskedCrc32c(Buffer.from('abc')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
});

test('event file: file_version first, then scalars, images and text that an independent decoder reads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-tb-'));
  const w = new SummaryWriter(dir, { maxQueue: 1000 });
  assert.match(w.path, new RegExp(`events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/[.]/g, '\\.')}\\.${process.pid}$`));
  const t0 = 1732860000.125;
  w.addScalar('train/loss', 4.12, 20, t0);
  w.addScalar('train/lr', 0.3, 5_000_000_000, t0 + 1); // a step past 2^32 needs a multi-byte varint
  w.addScalars({ loss: 1.5, lr: 1e-4, note: 'skipped' as unknown as number, nan: Number.NaN }, 40, {
    prefix: 'val/',
    wallTime: t0 + 2,
  });
  const png = await sharp({ create: { width: 5, height: 3, channels: 4, background: { r: 200, g: 10, b: 30, alpha: 1 } } })
    .png()
    .toBuffer();
  w.addImage('views', png, 7, { width: 5, height: 3 }, t0 + 3);
  w.addText('config', 'lr = **0.3** – ünïcode', 0, t0 + 4);
  const before = statSync(w.path).size;
  w.flush();
  assert.ok(statSync(w.path).size > before, 'flush appends the buffered events');
  w.close();

  const ev = decode(w.path);
  assert.equal(ev.length, 6);
  assert.equal(ev[0].file_version, 'brain.Event:2');
  assert.ok(Math.abs(ev[0].wall_time - Date.now() / 1000) < 60);
  assert.deepEqual(ev[1], { wall_time: t0, step: 20, values: [{ tag: 'train/loss', simple_value: f32(4.12) }] });
  assert.equal(ev[2].step, 5_000_000_000);
  assert.equal(ev[2].values?.[0].simple_value, f32(0.3));
  assert.equal(ev[3].step, 40);
  assert.deepEqual(
    ev[3].values?.map((v) => v.tag),
    ['val/loss', 'val/lr', 'val/nan'],
  );
  assert.equal(ev[3].values?.[1].simple_value, f32(1e-4));
  assert.equal(ev[3].values?.[2].simple_value, 'NaN');
  const img = ev[4].values?.[0].image;
  assert.deepEqual({ ...img, png_hex: undefined }, { height: 3, width: 5, colorspace: 4, png_hex: undefined });
  assert.equal(img?.png_hex, png.toString('hex'));
  assert.deepEqual(ev[5].values?.[0], {
    tag: 'config',
    plugin: 'text',
    tensor: { dtype: 7, shape: [1], strings: ['lr = **0.3** – ünïcode'] },
  });
  assert.equal(ev[5].step, 0);
});

test('buffering: events reach the file after maxQueue events; a closed writer ignores calls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-tb-'));
  const w = new SummaryWriter(dir, { maxQueue: 3 });
  const header = statSync(w.path).size;
  w.addScalar('a', 1, 1);
  w.addScalar('a', 2, 2);
  assert.equal(statSync(w.path).size, header, 'two events stay buffered');
  w.addScalar('a', 3, 3);
  assert.ok(statSync(w.path).size > header, 'the third event flushes the queue');
  w.addScalar('a', 4, 4);
  w.close();
  assert.equal(w.closed, true);
  const size = statSync(w.path).size;
  w.addScalar('a', 5, 5);
  w.addText('t', 'x', 1);
  w.flush();
  w.close();
  assert.equal(statSync(w.path).size, size);
  const steps = decode(w.path).map((e) => e.step);
  assert.deepEqual(steps, [0, 1, 2, 3, 4]);
  // A second writer in the same second gets its own file instead of appending to the first one.
  const w2 = new SummaryWriter(dir);
  w2.close();
  assert.notEqual(w2.path, w.path);
  assert.equal(readdirSync(dir).length, 2);
  assert.equal(decode(w2.path).length, 1);
  assert.ok(readFileSync(w2.path).length > 0);
});
