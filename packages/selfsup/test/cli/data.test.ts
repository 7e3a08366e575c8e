import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { dataCommand } from '../../src/cli/data.js';
import { MANIFEST, openDataset } from '../../src/data/open.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-prepare-'));

/** Runs `selfsup data …` with its console and stderr output captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const [log, error, write] = [console.log, console.error, process.stderr.write];
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await dataCommand(argv), out, err };
  } finally {
    [console.log, console.error, process.stderr.write] = [log, error, write];
  }
}

async function tarGz(members: [string, Uint8Array | string][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of members) pack.entry({ name }, typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** A miniature CIFAR-10 binary archive: `k` records per batch, record r of batch b labelled (b + r) % 10. */
function record(label: number, fill: number): Uint8Array {
  const r = new Uint8Array(3073).fill(fill);
  r[0] = label;
  return r;
}
const batch = (b: number, k: number) => Buffer.concat(Array.from({ length: k }, (_, r) => record((b + r) % 10, b * 16 + r)));
const names = 'airplane automobile bird cat deer dog frog horse ship truck'.split(' ').join('\n');
const cifarMembers = (): [string, Uint8Array | string][] => [
  ...[1, 2, 3, 4, 5].map((b): [string, Uint8Array] => [`cifar-10-batches-bin/data_batch_${b}.bin`, batch(b, 2)]),
  ['cifar-10-batches-bin/test_batch.bin', batch(0, 3)],
  ['cifar-10-batches-bin/batches.meta.txt', names],
];

test('prepare from a local archive, folder or IDX files: laid out for openDataset, idempotent', async () => {
  const archive = join(dir, 'cifar-10-binary.tar.gz');
  writeFileSync(archive, await tarGz(cifarMembers()));
  const out = join(dir, 'c10');
  const first = await run(['prepare', 'cifar10', '--from', archive, '--out', out]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /not byte-identical to the official file/, 'a repacked archive is only warned about');
  assert.match(first.err, /cifar10: prepared in .*c10 \(train 10, test 3\)/);
  const ds = await openDataset(out);
  assert.equal(ds.length, 10);
  // data_batch_2's second record: label (2 + 1) % 10, every byte 2 · 16 + 1.
  const s = await ds.get(3);
  assert.deepEqual([s.label, s.img.data[0], s.img.data[3071]], [3, 33, 33]);
  assert.equal(JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')).format, 'cifar10');
  const again = await run(['prepare', 'cifar10', '--from', archive, '--out', out]);
  assert.equal(again.code, 0);
  assert.match(again.err, /already prepared/);
  const fromDir = await run(['prepare', 'cifar10', '--from', out, '--out', join(dir, 'c10-copy')]);
  assert.equal(fromDir.code, 0, fromDir.err);
  assert.equal((await openDataset({ path: join(dir, 'c10-copy'), split: 'test' })).length, 3);

  const idxDir = join(dir, 'mnist-src');
  mkdirSync(idxDir);
  const idx = (shape: number[], data: Uint8Array) => {
    const h = Buffer.alloc(4 + 4 * shape.length);
    h[2] = 8;
    h[3] = shape.length;
    for (const [i, d] of shape.entries()) h.writeUInt32BE(d, 4 + 4 * i);
    return Buffer.concat([h, data]);
  };
  for (const [p, n] of [
    ['train', 4],
    ['t10k', 2],
  ] as const) {
    writeFileSync(join(idxDir, `${p}-images-idx3-ubyte.gz`), gzipSync(idx([n, 28, 28], new Uint8Array(n * 784).fill(9))));
    writeFileSync(
      join(idxDir, `${p}-labels-idx1-ubyte`),
      idx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => 9 - i),
      ),
    );
  }
  const m = await run(['prepare', 'mnist', '--from', idxDir, '--out', join(dir, 'mnist')]);
  assert.equal(m.code, 0, m.err);
  const mnist = await openDataset({ path: join(dir, 'mnist'), split: 'test' });
  assert.deepEqual([mnist.length, mnist.classes?.[9], (await mnist.get(1)).label], [2, '9', 8]);
});

test('prepare refuses what is not the dataset or would escape the target folder', async () => {
  const wrong = join(dir, 'wrong.tar.gz');
  writeFileSync(wrong, await tarGz([['photos/a.txt', 'x']]));
  const r = await run(['prepare', 'cifar10', '--from', wrong, '--out', join(dir, 'w')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /wrong\.tar\.gz: not a cifar10 archive \(it has no cifar-10-batches-py\/ or cifar-10-batches-bin\/ folder/);
  const evil = join(dir, 'evil.tar.gz');
  writeFileSync(evil, await tarGz([['../../evil.txt', 'x'], ...cifarMembers()]));
  const e = await run(['prepare', 'cifar10', '--from', evil, '--out', join(dir, 'e')]);
  assert.equal(e.code, 1);
  assert.match(e.err, /member '\.\.\/\.\.\/evil\.txt' would be written outside/);
  assert.equal(existsSync(join(dir, '..', 'evil.txt')), false);
  const missing = await run(['prepare', 'stl10', '--from', join(dir, 'nope.tar.gz'), '--out', join(dir, 's')]);
  assert.deepEqual([missing.code, /--from .*nope\.tar\.gz: no such file or directory/.test(missing.err)], [1, true]);
  for (const argv of [
    ['prepare', 'imagenet'],
    ['prepare'],
    ['fetch', 'cifar10'],
    ['prepare', 'cifar10', '--checksum', 'md5:xyz'],
    ['prepare', 'cifar10', '--from', 'a', '--url', 'http://b'],
    ['prepare', 'cifar10', '--timeout', '-1'],
  ])
    assert.equal((await run(argv)).code, 2, argv.join(' '));
});

test('prepare downloads with a checksum check; failing, stalled and refused downloads fail fast and clearly', async () => {
  const archive = await tarGz(cifarMembers());
  const md5 = createHash('md5').update(archive).digest('hex');
  const server: Server = createServer((req, res) => {
    if (req.url === '/cifar.tar.gz') {
      res.writeHead(200, { 'content-length': archive.length });
      res.end(archive);
    } else if (req.url === '/stall.tar.gz') {
      res.writeHead(200, { 'content-length': archive.length });
      res.write(archive.subarray(0, 100)); // and never more
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const out = join(dir, 'dl');
    const ok = await run(['prepare', 'cifar10', '--url', `${base}/cifar.tar.gz`, '--checksum', `md5:${md5}`, '--out', out]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.err, /cifar-10-python\.tar\.gz: md5 ok/);
    assert.equal((await openDataset(out)).length, 10);
    assert.deepEqual(readdirSync(out).sort(), ['cifar-10-batches-bin', MANIFEST], 'the archive and partial files are gone');
    const bad = await run(['prepare', 'cifar10', '--url', `${base}/cifar.tar.gz`, '--out', join(dir, 'dl2')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /md5 checksum mismatch \(got [0-9a-f]{32}, expected c58f30108f718f92721af3b95e74349a\)/);
    const t0 = performance.now();
    const stall = await run([
      'prepare',
      'cifar10',
      '--url',
      `${base}/stall.tar.gz`,
      '--timeout',
      '0.3',
      '--out',
      join(dir, 'dl3'),
    ]);
    assert.equal(stall.code, 1);
    assert.match(stall.err, /download of .*stall\.tar\.gz failed: no data for 0\.3 s/);
    assert.ok(performance.now() - t0 < 5000, 'a stalled download times out');
    const missing = await run(['prepare', 'cifar10', '--url', `${base}/none.tar.gz`, '--out', join(dir, 'dl4')]);
    assert.match(missing.err, /failed: HTTP 404/);
    assert.match(missing.err, /selfsup data prepare cifar10 --from <file or folder>/);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  // A port nothing listens on: a server opened and closed without a connection.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const refused = await run(['prepare', 'mnist', '--url', `http://127.0.0.1:${port}`, '--out', join(dir, 'dl5')]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /download of http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz failed: ECONNREFUSED/);
});

test('prepare on a terminal: an extraction bar with an ETA on stderr, only the folder on stdout', async () => {
  const archive = join(dir, 'tty-cifar.tar.gz');
  writeFileSync(archive, await tarGz(cifarMembers()));
  const out = join(dir, 'c10-tty');
  const tty = process.stderr.isTTY;
  process.stderr.isTTY = true;
  let r: Awaited<ReturnType<typeof run>>;
  try {
    r = await run(['prepare', 'cifar10', '--from', archive, '--out', out]);
  } finally {
    process.stderr.isTTY = tty;
  }
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `${out}\n`);
  const bars = r.err.split(/[\r\n]/).filter((l) => l.startsWith('extracting tty-cifar.tar.gz MiB ['));
  assert.ok(bars.length > 0, r.err);
  assert.ok(bars[0].endsWith('\x1b[K'));
  assert.match(bars[0].slice(0, -3), /\] [\d.]+\/[\d.]+ {2}files \d+ {2}eta \d+:\d\d:\d\d$/);
});
