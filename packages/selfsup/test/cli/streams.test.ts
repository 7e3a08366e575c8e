/**
 * The stream rule of every result-printing command (src/cli/index.ts): stdout holds only the result
 * (with `--json` exactly one parseable JSON line), stderr the progress bars, status and notes of
 * what was written. Commands run in-process through `main(argv)` with both streams captured and
 * stderr posing as a terminal, so the progress bars draw (they are redrawn lines ending in `\r`).
 *
 * stdout is captured at `console.log`: under `node --test` the process's stdout carries the test
 * runner's own protocol, so it cannot be intercepted whole. That `console.log` is the CLI's only way
 * to stdout is checked on the compiled sources.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as torch from '@selfsup/torch';
import { main } from '../../src/cli/index.js';
import { VisionTransformer } from '../../src/models/backbones/vit.js';
import { testConfig } from '../engine/parts.js';

const PARTS = fileURLToPath(new URL('../engine/parts.js', import.meta.url));

interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs `selfsup <argv>` in-process; stdout and stderr as the user would see them, stderr a 100-column terminal. */
async function run(argv: string[]): Promise<Captured> {
  const { stderr } = process;
  const saved = { log: console.log, error: console.error, warn: console.warn, write: stderr.write, tty: stderr.isTTY };
  const columns = stderr.columns;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  console.warn = console.error;
  // The progress bars write to the stream itself.
  stderr.write = ((s: string | Uint8Array) => {
    err += String(s);
    return true;
  }) as typeof stderr.write;
  stderr.isTTY = true;
  stderr.columns = 100;
  try {
    return { code: await main(argv), out, err };
  } finally {
    [console.log, console.error, console.warn, stderr.write] = [saved.log, saved.error, saved.warn, saved.write];
    stderr.isTTY = saved.tty;
    stderr.columns = columns;
  }
}

/** stdout of a `--json` run: exactly one line, which parses. */
function onlyJson(r: Captured): Record<string, unknown> {
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `stdout must be the JSON line alone, got:\n${r.out}`);
  assert.ok(r.out.endsWith('\n'));
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

/** The progress lines drawn on stderr (each redraw starts with `\r`), escape codes removed. */
function bars(err: string): string[] {
  return err
    .split(/[\r\n]/)
    .map((l) => l.replaceAll('\x1b[K', ''))
    .filter((l) => / eta \d+:\d\d:\d\d$/.test(l));
}

function assertNoProgress(r: Captured): void {
  assert.ok(!r.out.includes('\r') && !r.out.includes('\x1b['), 'no redrawn lines on stdout');
  assert.doesNotMatch(r.out, / eta \d/, 'no progress on stdout');
}

/** train/ and test/ folders of 8×8 PNGs, 2 classes × 3 images each: dark and bright. */
async function makeFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-streams-'));
  for (const split of ['train', 'test'])
    for (const [ci, cls] of ['dark', 'light'].entries()) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const px = Buffer.alloc(8 * 8 * 3, (ci === 0 ? 40 : 200) + 10 * i + (split === 'test' ? 5 : 0));
        await sharp(px, { raw: { width: 8, height: 8, channels: 3 } })
          .png()
          .toFile(join(dir, split, cls, `${i}.png`));
      }
    }
  return dir;
}

const data = await makeFolder();
const work = mkdtempSync(join(tmpdir(), 'selfsup-streams-work-'));
const cfg = join(work, 'exp.ts');
writeFileSync(cfg, `export default ${JSON.stringify(testConfig())};\n`);
const model = ['--config', cfg, '--import', PARTS];

test('console.log is the only way the CLI writes to stdout', () => {
  const dir = fileURLToPath(new URL('../../src/cli/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  assert.ok(files.length > 10);
  for (const f of files)
    assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /process\.stdout|console\.(info|table|dir)\(/, f);
});

test('results alone on stdout (one JSON line with --json), progress and notes on stderr', async () => {
  let r = await run(['list', 'backbones', '--json']);
  assert.ok(Array.isArray(onlyJson(r).backbones));
  assertNoProgress(r);

  r = await run(['flops', cfg, '--import', PARTS, '--shape', '3,8,8', '--json']);
  assert.equal(typeof onlyJson(r).params, 'number');

  r = await run(['version']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^selfsup \S+, libtorch /);
  assert.equal(r.err, '');

  // analyze-logs stats: the JSON alone (the tables were printed before it).
  const logDir = join(work, 'run');
  mkdirSync(logDir);
  writeFileSync(
    join(logDir, 'log.jsonl'),
    `${[
      { mode: 'train', epoch: 1, iter: 1, loss: 2, time: 0.5 },
      { mode: 'train', epoch: 1, iter: 2, loss: 1, time: 0.5 },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n')}\n`,
  );
  r = await run(['analyze-logs', 'stats', logDir, '--json']);
  const stats = onlyJson(r) as { runs: { modes: { train: { loss: { mean: number } } } }[] };
  assert.equal(stats.runs[0].modes.train.loss.mean, 1.5);
  r = await run(['analyze-logs', 'stats', logDir]);
  assert.match(r.out, /train\s+loss\s+2\s+2\s+1\s+1\s+2\s+1\.5/, 'without --json: the table on stdout');

  // convert: the summary object on stdout; without --json what was written is a note on stderr.
  const vit = new VisionTransformer({ imgSize: 16, patchSize: 8, embedDim: 8, depth: 1, numHeads: 2 });
  torch.save(vit.stateDict(), join(work, 'vit.pth'));
  r = await run(['convert', join(work, 'vit.pth'), join(work, 'vit_tv.pth'), '--to', 'torchvision', '--json']);
  assert.equal(onlyJson(r).arch, 'vit');
  r = await run(['convert', join(work, 'vit.pth'), join(work, 'vit_tv2.pth'), '--to', 'torchvision']);
  assert.deepEqual([r.code, r.out], [0, '']);
  assert.match(r.err, /tensors written to .*vit_tv2\.pth/);
});

test('eval knn/linear, extract and vis tsne: bars with an ETA on stderr, the result alone on stdout', async () => {
  let r = await run(['eval', 'knn', ...model, '--train-data', data, '--k', '1,3', '--json']);
  const knn = onlyJson(r) as { results: { ssl: { knn: Record<string, { top1: number }> } } };
  assert.deepEqual(Object.keys(knn.results.ssl.knn), ['1', '3']);
  assertNoProgress(r);
  let drawn = bars(r.err);
  // Every long step of the benchmark: both feature extractions (6 images each), the kNN batches.
  for (const label of ['ssl train features', 'ssl test features', 'ssl kNN'])
    assert.ok(
      drawn.some((l) => l.startsWith(`${label} [########################] 6/6`)),
      `no finished '${label}' bar in:\n${drawn.join('\n')}`,
    );

  r = await run(['eval', 'linear', ...model, '--train-data', data, '--epochs', '3', '--json']);
  const linear = onlyJson(r) as { results: { ssl: { linear: { trainLoss: number[] } } } };
  assertNoProgress(r);
  drawn = bars(r.err).filter((l) => l.startsWith('ssl linear probe'));
  // One bar over the epochs with the epoch's mean loss; it is drawn at the first epoch and the last.
  const loss = linear.results.ssl.linear.trainLoss;
  assert.equal(loss.length, 3);
  const last = drawn.at(-1) as string;
  assert.match(last, /^ssl linear probe \[#+\] 3\/3 {2}loss \S+ {2}lr \S+ {2}eta 0:00:00$/);
  assert.equal(Number(/loss (\S+)/.exec(last)?.[1]), Number(loss[2].toPrecision(4)));
  assert.match(drawn[0], /^ssl linear probe \[#+\.+\] 1\/3 {2}loss \S+ {2}lr \S+ {2}eta \d+:\d\d:\d\d$/);

  // extract: nothing on stdout without --json but the bar and the note on stderr.
  r = await run(['extract', '--pixels', '--data', data, '--out', join(work, 'f.npy')]);
  assert.deepEqual([r.code, r.out], [0, ''], r.err);
  assert.ok(bars(r.err).some((l) => l.startsWith('features [')));
  assert.match(r.err, /selfsup extract: 6 × 192 features → /);
  r = await run(['extract', '--pixels', '--data', data, '--out', join(work, 'g.npy'), '--json']);
  assert.equal(onlyJson(r).count, 6);

  r = await run(['vis', 'tsne', '--pixels', '--data', data, '--out', join(work, 't.svg'), '--json']);
  assert.deepEqual(onlyJson(r), { out: join(work, 't.svg'), points: 6, method: 'tsne' });
  assertNoProgress(r);
  drawn = bars(r.err).filter((l) => l.startsWith('t-SNE'));
  assert.ok(drawn.length >= 2, 'the t-SNE bar is drawn while it runs');
  assert.match(drawn.at(-1) as string, /^t-SNE \[#+\] 1000\/1000 {2}eta 0:00:00$/);
});
