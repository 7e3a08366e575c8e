/**
 * `selfsup zoo add|list|get`: a work dir laid out as `selfsup train` writes it (checkpoint with the
 * config in `meta`, config.json, log.jsonl, eval results) becomes an entry whose hashes (recomputed
 * here with node:crypto) match the files; `get` from the directory, into the local cache and over
 * HTTP (node:http serving the zoo) yields files with those hashes that load back into the backbone
 * with identical features; a corrupted file fails naming both hashes and leaves nothing behind;
 * unknown names and malformed manifests fail naming the entries / the key.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { main } from '../../src/cli/index.js';
import { saveCheckpoint } from '../../src/engine/checkpoint.js';
import type { Config } from '../../src/engine/config/config.js';
import { prepareConfig } from '../../src/engine/config/prepare.js';
import type { Algorithm } from '../../src/models/algorithms/base.js';
import { ALGORITHMS } from '../../src/models/registries.js';
import { captureConsole } from './run-cli.js';

const CONFIG = fileURLToPath(
  new URL('../../../configs/simclr/simclr_resnet18-w025_1xb256-coslr-100e_cifar10.ts', import.meta.url),
);

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function features(model: Algorithm, x: Tensor): Tensor {
  return torch.noGrad(() => (model.backbone.forward(x).at(-1) as Tensor).mean([2, 3]));
}

/** Runs `selfsup <args>` in this process; returns the exit code and what went to console.log / console.error. */
function selfsup(args: string[]) {
  return captureConsole(() => main(args));
}

/** An HTTP server handing out the files under `root` (404 otherwise). */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const p = join(
      root,
      ...decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
        .split('/')
        .filter(Boolean),
    );
    if (!p.startsWith(root) || !existsSync(p)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(p);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoo/` };
}

const dir = mkdtempSync(join(tmpdir(), 'selfsup-zoo-'));
const work = join(dir, 'work');
const zoo = join(dir, 'zoo');
let cfg: Config;
let model: Algorithm;
let x: Tensor;
let http: { server: Server; url: string };

/** Writes epoch_<epoch>.pth of `m` into the work dir (what `selfsup train` saves). */
function checkpoint(m: Algorithm, epoch: number): void {
  const state = {
    meta: { epoch, iter: 2 * epoch, config: JSON.stringify(cfg), selfsup_version: '0.1.0' },
    state_dict: m.stateDict() as unknown as torch.StateValue,
    optimizer: { state: {}, param_groups: [] },
  };
  saveCheckpoint(join(work, 'checkpoints'), `epoch_${epoch}.pth`, state as torch.StateDict);
}

before(async () => {
  process.env.SELFSUP_CACHE = join(dir, 'cache');
  delete process.env.SELFSUP_ZOO;
  mkdirSync(join(work, 'checkpoints'), { recursive: true });
  cfg = prepareConfig(CONFIG);
  cfg.expName = 'simclr_resnet18-w025_1xb256-coslr-100e_cifar10';
  torch.manualSeed(0);
  model = ALGORITHMS.build(cfg.model, 'model');
  torch.noGrad(() => {
    for (const [k, v] of Object.entries(model.stateDict()))
      if (k.endsWith('running_mean')) v.copy_(torch.randn(v.shape).mul_(0.1));
  });
  model.eval();
  checkpoint(model, 1);
  writeFileSync(join(work, 'config.json'), `${JSON.stringify({ ...cfg, workDir: work }, null, 2)}\n`);
  writeFileSync(join(work, 'log.jsonl'), `${JSON.stringify({ mode: 'train', epoch: 1, iter: 2, time: 1, loss: 5.5 })}\n`);
  const knn = { 10: { top1: 40.5, top5: 88 }, 20: { top1: 43.25, top5: 90.5 } };
  writeFileSync(join(work, 'eval.json'), `${JSON.stringify({ task: 'knn', results: { ssl: { knn } } })}\n`);
  const linear = { task: 'linear', results: { ssl: { linear: { top1: { mean: 51, std: 1, runs: [50, 52] }, top5: 93 } } } };
  writeFileSync(join(dir, 'linear.json'), `progress\n${JSON.stringify(linear)}\n`);
  torch.manualSeed(5);
  x = torch.randn([2, 3, 32, 32]);
  http = await serve(dir);
});

after(() => http.server.close());

/** The features of a fresh backbone loaded from `file` minus the trained model's: all zero when the file holds its weights. */
function featureDiff(file: string): number {
  torch.manualSeed(9);
  const fresh = ALGORITHMS.build(cfg.model, 'model');
  fresh.backbone.loadStateDict(torch.load(file) as Record<string, Tensor>, { strict: true });
  fresh.eval();
  return features(fresh, x).sub(features(model, x)).abs().max().item();
}

test('zoo add + list: the entry names the run, its numbers and files with their sha256', async () => {
  const r = await selfsup([
    'zoo',
    'add',
    work,
    '--zoo',
    zoo,
    '--name',
    'simclr-r18',
    '--linear-json',
    join(dir, 'linear.json'),
    '--budget-minutes',
    '12.5',
    '--machine',
    'test box',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const l = await selfsup(['zoo', 'list', '--zoo', zoo, '--json']);
  assert.equal(l.code, 0, l.err);
  const listed = JSON.parse(l.out.trim().split('\n').pop() as string);
  assert.equal(listed.zoo, zoo);
  assert.equal(listed.entries.length, 1);
  const e = listed.entries[0];
  assert.deepEqual(JSON.parse(r.out.trim().split('\n').pop() as string), e, 'add --json prints the entry it wrote');
  assert.equal(e.name, 'simclr-r18');
  assert.equal(e.algorithm, 'SimCLR');
  assert.equal(e.backbone, 'ResNet');
  assert.equal(e.config, cfg.expName);
  assert.equal(e.dataset, 'CIFAR10');
  assert.deepEqual(e.budget, { iters: 2, epochs: 1, minutes: 12.5, machine: 'test box' });
  assert.deepEqual(e.knn, { k: 20, top1: 43.25, top5: 90.5 }, 'k = 20 of the work dir eval.json');
  assert.deepEqual(e.linear, { top1: 51, top5: 93 }, 'the mean of a repeated linear result');
  assert.equal(e.selfsupVersion, '0.1.0');
  assert.ok(!Number.isNaN(Date.parse(e.created)));
  // Every file: where the manifest says, with the recomputed hash and size.
  assert.deepEqual(Object.keys(e.files).sort(), ['backbone', 'card', 'config', 'log']);
  for (const f of Object.values(e.files) as { path: string; sha256: string; bytes: number }[]) {
    const p = join(zoo, f.path);
    assert.equal(f.sha256, sha256(p), f.path);
    assert.equal(f.bytes, readFileSync(p).length, f.path);
  }
  assert.equal(e.files.backbone.path, `simclr-r18/simclr-r18-${e.files.backbone.sha256.slice(0, 8)}.pth`);
  assert.equal(e.files.config.sha256, sha256(join(work, 'config.json')), 'config.json copied as it is');
  assert.equal(e.files.log.sha256, sha256(join(work, 'log.jsonl')));
  assert.equal(featureDiff(join(zoo, e.files.backbone.path)), 0);

  const t = await selfsup(['zoo', 'list', '--zoo', zoo]);
  assert.equal(t.code, 0, t.err);
  const [head, row] = t.out.trim().split('\n');
  assert.match(head, /^name\s+algorithm\s+backbone\s+budget\s+kNN top-1\s+linear top-1\s+size$/);
  assert.match(row, /^simclr-r18\s+SimCLR\s+ResNet\s+1 ep \/ 2 it, 12\.5 min\s+43\.25 \(k=20\)\s+51\.00\s+\d+\.\d (kB|MB)$/);
});

test('zoo get: from the directory, into the cache, over HTTP; verified hashes, identical features, no refetch', async () => {
  const e = JSON.parse(readFileSync(join(zoo, 'zoo.json'), 'utf8')).entries[0];
  const expectFiles = (d: string) => {
    for (const f of Object.values(e.files) as { path: string; sha256: string }[])
      assert.equal(sha256(join(d, basename(f.path))), f.sha256, `${d}: ${f.path}`);
    assert.equal(featureDiff(join(d, basename(e.files.backbone.path))), 0);
    assert.deepEqual(readdirSync(d).sort(), (Object.values(e.files) as { path: string }[]).map((f) => basename(f.path)).sort());
  };
  const out = join(dir, 'got-dir');
  let r = await selfsup(['zoo', 'get', 'simclr-r18', '--zoo', zoo, '--out', out, '--json']);
  assert.equal(r.code, 0, r.err);
  expectFiles(out);
  let res = JSON.parse(r.out.trim().split('\n').pop() as string);
  assert.equal(res.dir, out);
  assert.ok(res.files.every((f: { fetched: boolean }) => f.fetched));
  r = await selfsup(['zoo', 'get', 'simclr-r18', '--zoo', zoo, '--out', out, '--json']);
  res = JSON.parse(r.out.trim().split('\n').pop() as string);
  assert.ok(
    res.files.every((f: { fetched: boolean }) => !f.fetched),
    'present with the right hash: not fetched again',
  );

  // Over HTTP into the default location (the cache), via SELFSUP_ZOO; the cache then lists it.
  process.env.SELFSUP_ZOO = http.url;
  try {
    r = await selfsup(['zoo', 'get', 'simclr-r18']);
    assert.equal(r.code, 0, r.err);
  } finally {
    delete process.env.SELFSUP_ZOO;
  }
  const cached = join(dir, 'cache', 'zoo', 'simclr-r18');
  assert.equal(r.out.trim(), cached);
  expectFiles(cached);
  const l = await selfsup(['zoo', 'list', '--json']);
  const listed = JSON.parse(l.out.trim().split('\n').pop() as string);
  assert.equal(listed.zoo, join(dir, 'cache', 'zoo'));
  assert.equal(listed.entries[0].files.backbone.path, `simclr-r18/${basename(e.files.backbone.path)}`);
  assert.equal(listed.entries[0].files.backbone.sha256, e.files.backbone.sha256);
});

test('zoo get: a corrupted file on the server fails naming both hashes and leaves nothing behind', async () => {
  const bad = join(dir, 'bad');
  cpSync(zoo, join(bad, 'zoo'), { recursive: true });
  const e = JSON.parse(readFileSync(join(zoo, 'zoo.json'), 'utf8')).entries[0];
  const file = join(bad, 'zoo', e.files.backbone.path);
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(file, bytes);
  const badUrl = http.url.replace(/\/zoo\/$/, '/bad/zoo/');
  const out = join(dir, 'got-bad');
  for (const zooArg of [badUrl, join(bad, 'zoo')]) {
    const r = await selfsup(['zoo', 'get', 'simclr-r18', '--zoo', zooArg, '--out', out]);
    assert.equal(r.code, 1, r.err);
    assert.ok(r.err.includes(basename(file)), r.err);
    assert.ok(r.err.includes(`got ${sha256(file)}`), r.err);
    assert.ok(r.err.includes(`expected ${e.files.backbone.sha256}`), r.err);
    assert.equal(existsSync(out), false, `${zooArg}: nothing left behind`);
  }
});

test('zoo: an unknown name lists the entries; a malformed zoo.json names the key; add replaces an entry', async () => {
  let r = await selfsup(['zoo', 'get', 'byol', '--zoo', zoo]);
  assert.equal(r.code, 1);
  assert.match(r.err, /no entry 'byol' in the zoo .*; available: simclr-r18/);

  const manifest = JSON.parse(readFileSync(join(zoo, 'zoo.json'), 'utf8'));
  const cases: [unknown, RegExp][] = [
    [{ ...manifest, version: 2 }, /zoo\.json: version: expected one of 1, got 2/],
    [
      { version: 1, entries: [{ ...manifest.entries[0], algorithm: undefined }] },
      /entries\.0\.algorithm: expected a string, got nothing/,
    ],
    [
      {
        version: 1,
        entries: [
          {
            ...manifest.entries[0],
            files: { ...manifest.entries[0].files, backbone: { path: 'a/../../x', sha256: 'a'.repeat(64), bytes: 1 } },
          },
        ],
      },
      /entries\.0\.files\.backbone\.path: expected a relative path inside the zoo/,
    ],
    [
      {
        version: 1,
        entries: [
          { ...manifest.entries[0], files: { ...manifest.entries[0].files, config: { path: 'c', sha256: 'XYZ', bytes: 1 } } },
        ],
      },
      /entries\.0\.files\.config\.sha256: expected 64 lower-case hex digits, got "XYZ"/,
    ],
    [{ version: 1, entries: [manifest.entries[0], manifest.entries[0]] }, /entries\.1\.name: 'simclr-r18' appears twice/],
  ];
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  for (const [m, message] of cases) {
    writeFileSync(join(broken, 'zoo.json'), JSON.stringify(m));
    r = await selfsup(['zoo', 'list', '--zoo', broken]);
    assert.equal(r.code, 1);
    assert.match(r.err, message);
  }
  r = await selfsup(['zoo', 'list', '--zoo', join(dir, 'nowhere')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /nowhere.zoo\.json: no such file/);
  r = await selfsup(['zoo', 'add', work, '--name', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /needs --zoo DIR/);

  // Re-adding under the same name with new weights: one entry, the old backbone file gone.
  const old = join(zoo, manifest.entries[0].files.backbone.path);
  torch.noGrad(() => model.backbone.parameters()[0].add_(1));
  checkpoint(model, 2);
  r = await selfsup(['zoo', 'add', work, '--zoo', zoo, '--name', 'simclr-r18', '--machine', 'm', '--with-checkpoint']);
  assert.equal(r.code, 0, r.err);
  const next = JSON.parse(readFileSync(join(zoo, 'zoo.json'), 'utf8'));
  assert.equal(next.entries.length, 1);
  assert.equal(next.entries[0].budget.epochs, 2);
  assert.equal(next.entries[0].linear, null, 'no linear result in the work dir');
  assert.notEqual(next.entries[0].files.backbone.sha256, manifest.entries[0].files.backbone.sha256);
  assert.equal(existsSync(old), false, 'the replaced backbone file is removed');
  const ck = next.entries[0].files.checkpoint;
  assert.equal(ck.path, 'simclr-r18/epoch_2.pth', 'the latest checkpoint');
  assert.equal(ck.sha256, sha256(join(work, 'checkpoints', 'epoch_2.pth')));
  assert.equal(featureDiff(join(zoo, next.entries[0].files.backbone.path)), 0);

  // --fp16: the same weights in half the bytes, features within fp16 rounding.
  r = await selfsup(['zoo', 'add', work, '--zoo', zoo, '--name', 'simclr-r18-fp16', '--machine', 'm', '--fp16', '--json']);
  assert.equal(r.code, 0, r.err);
  const half = JSON.parse(r.out) as { files: { backbone: { path: string; bytes: number }; card: { path: string } } };
  const halfFile = join(zoo, half.files.backbone.path);
  const sd = torch.load(halfFile) as Record<string, Tensor>;
  for (const [k, v] of Object.entries(sd)) assert.equal(v.dtype, k.endsWith('num_batches_tracked') ? 'int64' : 'float16', k);
  const fullBytes = next.entries[0].files.backbone.bytes;
  assert.ok(half.files.backbone.bytes < 0.6 * fullBytes, `${half.files.backbone.bytes} vs ${fullBytes} bytes`);
  assert.equal(JSON.parse(readFileSync(join(zoo, half.files.card.path), 'utf8')).dtype, 'float16');
  const d = featureDiff(halfFile);
  assert.ok(d > 0 && d < 2e-2, `fp16 feature difference ${d}`);
});
