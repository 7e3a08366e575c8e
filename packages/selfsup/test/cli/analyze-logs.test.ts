import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { analyzeLogs } from '../../src/cli/analyze-logs.js';
import { parseSvg, pathRuns } from '../visualization/parse-svg.js';

const root = mkdtempSync(join(tmpdir(), 'selfsup-analyze-'));

/** Runs the command with console.log/console.error captured. */
async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    return { code: await analyzeLogs(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const rec = (o: Record<string, unknown>) => JSON.stringify(o);

/** A run killed while writing its last line; every statistic below is worked out by hand from it. */
function writeRunA(): string {
  const dir = join(root, 'runA');
  mkdirSync(dir, { recursive: true });
  const lines = [
    rec({ mode: 'train', epoch: 1, iter: 10, time: 100, lr: 0.3, loss: 4, iter_time: 0.5 }),
    rec({ mode: 'train', epoch: 1, iter: 20, time: 102, lr: 0.3, loss: 3, iter_time: 0.2 }),
    rec({ mode: 'train', epoch: 1, iter: 30, time: 104, lr: 0.2, loss: null, iter_time: 0.3 }),
    rec({ mode: 'val', epoch: 1, iter: 30, time: 105, knn_top1: 40 }),
    rec({ mode: 'train', epoch: 2, iter: 40, time: 106, lr: 0.1, loss: 2, iter_time: 0.9 }),
    '',
    rec({ mode: 'train', epoch: 2, iter: 50, time: 108, lr: 0.1, loss: 1, iter_time: 0.4 }),
    rec({ mode: 'val', epoch: 2, iter: 50, time: 110, knn_top1: 50 }),
    '{"mode":"train","epoch":3,"iter":60,"ti',
  ];
  writeFileSync(join(dir, 'log.jsonl'), lines.join('\n'));
  return dir;
}

function writeRunB(): string {
  const dir = join(root, 'runB');
  mkdirSync(dir, { recursive: true });
  const lines = [1, 2, 3, 4].map((e) => rec({ mode: 'train', epoch: e, iter: e * 25, time: e, lr: 0.1, loss: 10 - e }));
  writeFileSync(join(dir, 'log.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

const runA = writeRunA();
const runB = writeRunB();

test('stats: per-key statistics and timing as computed by hand; --json alone on stdout, else the tables', async () => {
  const r = await run(['stats', runA, '--json']);
  assert.equal(r.code, 0);
  assert.ok(r.err.some((e) => e.includes('log.jsonl:9') && e.includes('truncated')));
  assert.equal(r.out.length, 1, `with --json stdout is the JSON line alone, got ${JSON.stringify(r.out)}`);
  const j = JSON.parse(r.out[0]) as { runs: Record<string, unknown>[] };
  const s = j.runs[0] as {
    iterations: number;
    epochs: number;
    records: number;
    totalTime: number;
    meanIterTime: number;
    stdIterTime: number;
    slowestEpoch: { epoch: number; meanIterTime: number };
    fastestEpoch: { epoch: number; meanIterTime: number };
    modes: Record<string, Record<string, { count: number; first: number; last: number; min: number; max: number; mean: number }>>;
  };
  assert.equal(s.iterations, 50);
  assert.equal(s.epochs, 2);
  assert.equal(s.records, 7);
  assert.equal(s.totalTime, 10);
  // loss null at iter 30 is skipped: 4, 3, 2, 1.
  assert.deepEqual(s.modes.train.loss, { count: 4, first: 4, last: 1, min: 1, max: 4, mean: 2.5 });
  const lr = s.modes.train.lr;
  assert.deepEqual([lr.count, lr.first, lr.last, lr.min, lr.max], [5, 0.3, 0.1, 0.1, 0.3]);
  assert.ok(Math.abs(lr.mean - 0.2) < 1e-12);
  assert.deepEqual(s.modes.val.knn_top1, { count: 2, first: 40, last: 50, min: 40, max: 50, mean: 45 });
  // iter_time without each epoch's first record: epoch 1 → 0.2, 0.3; epoch 2 → 0.4.
  assert.ok(Math.abs(s.meanIterTime - 0.3) < 1e-12);
  assert.ok(Math.abs(s.stdIterTime - Math.sqrt(0.02 / 3)) < 1e-12);
  assert.equal(s.slowestEpoch.epoch, 2);
  assert.ok(Math.abs(s.slowestEpoch.meanIterTime - 0.4) < 1e-12);
  assert.equal(s.fastestEpoch.epoch, 1);
  assert.ok(Math.abs(s.fastestEpoch.meanIterTime - 0.25) < 1e-12);
  // Without --json, the text table has a row per (mode, key) with the same numbers.
  const text = await run(['stats', runA]);
  assert.equal(text.code, 0);
  const row = text.out.find((l) => /^\s+train\s+loss\s/.test(l));
  assert.deepEqual(row?.trim().split(/\s+/), ['train', 'loss', '4', '4', '1', '1', '4', '2.5']);
  assert.ok(text.out.some((l) => l.includes('wall time 0:00:10')));

  const all = await run(['stats', join(runA, 'log.jsonl'), runB, '--json', '--include-outliers']);
  assert.equal(all.out.length, 1);
  const runs = JSON.parse(all.out[0]).runs;
  assert.equal(runs.length, 2);
  assert.ok(Math.abs(runs[0].meanIterTime - 0.46) < 1e-12, 'all five iter_time values');
  assert.equal(runs[1].meanIterTime, null);
  assert.equal(runs[1].modes.train.loss.mean, 7.5);
});

test('exit codes: --help 0, usage errors 2, unreadable or malformed logs 1 naming the file', async () => {
  for (const argv of [['--help'], ['plot', '--help'], ['stats', '-h']]) {
    const r = await run(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.ok(r.out.join('\n').includes('usage: selfsup analyze-logs plot'));
  }
  for (const argv of [
    [],
    ['frobnicate'],
    ['plot', runA],
    ['plot', runA, '--keys', 'loss', '--mode', 'test'],
    ['plot', runA, '--keys', 'loss', '--out', 'x.jpg'],
    ['plot', runA, '--keys', 'loss', '--legend', 'a,b'],
    ['stats'],
    ['stats', runA, '--bogus'],
  ]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
  }
  const missing = join(root, 'nope', 'log.jsonl');
  const r1 = await run(['stats', missing]);
  assert.equal(r1.code, 1);
  assert.ok(r1.err.join('\n').includes(missing));

  const bad = join(root, 'bad.jsonl');
  writeFileSync(
    bad,
    `${rec({ mode: 'train', epoch: 1, iter: 1, time: 1, loss: 1 })}\n{oops\n${rec({ mode: 'train', epoch: 1, iter: 2, time: 2, loss: 1 })}\n`,
  );
  const r2 = await run(['stats', bad]);
  assert.equal(r2.code, 1);
  assert.ok(r2.err.join('\n').includes(`${bad}:2`), r2.err.join('\n'));

  const r3 = await run(['plot', runA, '--keys', 'accuracy', '--out', join(root, 'x.svg')]);
  assert.equal(r3.code, 1);
  assert.match(r3.err.join('\n'), /key 'accuracy'.*logged keys: iter_time, knn_top1, loss, lr/);
});

test('plot: one curve per (log, key), legend names, val keys over epochs, PNG output', async () => {
  const svgPath = join(root, 'curves.svg');
  const r = await run(['plot', runA, runB, '--keys', 'loss,lr', '--out', svgPath, '--title', 'A vs B']);
  assert.equal(r.code, 0, r.err.join('\n'));
  const p = parseSvg(readFileSync(svgPath, 'utf8'));
  assert.equal(p.title, 'A vs B');
  // lr plotted with another key goes on a right-hand axis of its own.
  assert.deepEqual(p.legend, ['runA/loss', 'runA/lr (right)', 'runB/loss', 'runB/lr (right)']);
  // Left: losses 1 … 9 (runB's 9, 8, 7, 6); right: lr 0.1 … 0.3 — scaled separately.
  const yTicks = (q: typeof p, axis: 'y' | 'y2') => q.ticks.filter((t) => t.axis === axis).map((t) => t.value);
  assert.ok(Math.max(...yTicks(p, 'y')) >= 9 && Math.max(...yTicks(p, 'y2')) < 1, `${yTicks(p, 'y')} | ${yTicks(p, 'y2')}`);
  assert.ok(p.texts.some((t) => t.cls === 'axis-label y2' && t.text === 'lr'));
  assert.equal(p.paths.length, 4);
  // runA's loss has a null at iter 30: two runs of 2 points each.
  assert.deepEqual(
    pathRuns(p.paths[0].d).map((x) => x.length),
    [2, 2],
  );
  assert.equal(pathRuns(p.paths[3].d).flat().length, 4);
  assert.ok(p.texts.some((t) => t.text === 'iteration'));

  const r2 = await run(['plot', runA, '--keys', 'knn_top1', '--legend', 'kNN top-1', '--out', svgPath]);
  assert.equal(r2.code, 0);
  const v = parseSvg(readFileSync(svgPath, 'utf8'));
  assert.deepEqual(v.legend, ['kNN top-1']);
  assert.ok(v.texts.some((t) => t.text === 'epoch'));
  // Epochs 1 and 2: ticks on whole epochs only.
  assert.deepEqual(
    v.ticks.filter((t) => t.axis === 'x').map((t) => t.value),
    [1, 2],
  );

  // --right moves a chosen key; a long --title wraps instead of running off the chart.
  const title = 'Loss and learning rate of runA, the run that was killed while writing its last line';
  const r4 = await run([
    'plot',
    runA,
    '--keys',
    'loss,lr',
    '--right',
    'loss',
    '--title',
    title,
    '--width',
    '400',
    '--out',
    svgPath,
  ]);
  assert.equal(r4.code, 0, r4.err.join('\n'));
  const m = parseSvg(readFileSync(svgPath, 'utf8'));
  assert.deepEqual(m.legend, ['loss (right)', 'lr']);
  assert.equal(m.titleLines.length, 2);
  assert.equal(m.titleLines.join(' '), title);
  assert.equal(
    (await run(['plot', runA, '--keys', 'loss', '--right', 'lr', '--out', svgPath])).code,
    2,
    '--right outside --keys',
  );

  const pngPath = join(root, 'curves.png');
  const r3 = await run(['plot', runB, '--keys', 'loss', '--out', pngPath, '--width', '500', '--height', '300']);
  assert.equal(r3.code, 0);
  const meta = await sharp(readFileSync(pngPath)).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 500, 300]);
});
