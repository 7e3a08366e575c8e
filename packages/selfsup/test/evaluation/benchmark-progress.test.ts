/**
 * The progress wiring of the frozen benchmark (what `selfsup eval` draws): a bar per feature
 * extraction, one over the kNN similarity batches and one over the linear probe's epochs with the
 * epoch's loss, each drawn on a (fake) terminal with an ETA of elapsed × remaining / done. A fake
 * clock that ticks one second per reading makes the ETAs exact. Without a progress factory the
 * benchmark writes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { DataLoader } from '../../src/data/loader/loader.js';
import { Progress, type ProgressFactory, progressBars } from '../../src/core/progress.js';
import { frozenBenchmark } from '../../src/evaluation/benchmark.js';
import { pixelEncoder } from '../../src/evaluation/features.js';

function dataset(n: number, seed: number): ArrayDataset {
  const images = new Uint8Array(n * 4 * 4 * 3);
  let x = seed;
  for (let i = 0; i < images.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    images[i] = x % 256;
  }
  return new ArrayDataset(
    'random',
    images,
    { height: 4, width: 4, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 2),
  );
}

/** Bars on fake 200-column terminals, one per step; each clock reads 0, 1, 2, … seconds. */
function recorder(): { factory: ProgressFactory; writes: Map<string, string[]> } {
  const writes = new Map<string, string[]>();
  const factory: ProgressFactory = (label, total) => {
    const out: string[] = [];
    writes.set(label, out);
    let t = 0;
    return new Progress(label, total, { stream: { isTTY: true, columns: 200, write: (s) => out.push(s) }, now: () => t++ });
  };
  return { factory, writes };
}

/** The drawn lines (`\r…\x1b[K`) as [done, eta, whole line]; the final write must clear the line. */
function drawn(writes: string[] | undefined): { done: number; eta: string; line: string }[] {
  assert.ok(writes && writes.length > 0, 'the step drew a bar');
  assert.equal(writes.at(-1), '\r\x1b[K', 'done() clears the line');
  return writes.slice(0, -1).map((w) => {
    assert.ok(w.startsWith('\r') && w.endsWith('\x1b[K'), JSON.stringify(w));
    const line = w.slice(1, -3);
    const m = /\] (\d+)\/\d+ .*eta (\d+:\d\d:\d\d)$/.exec(line);
    assert.ok(m, line);
    return { done: Number(m[1]), eta: m[2], line };
  });
}

const train = new DataLoader(dataset(12, 1), { batchSize: 4 });
const test_ = new DataLoader(dataset(10, 2), { batchSize: 4 });
const encoders = { pix: pixelEncoder({ mean: [127.5, 127.5, 127.5], std: [64, 64, 64] }) };

test('frozenBenchmark: kNN batches and linear-probe epochs on bars with exact ETAs and the loss', async () => {
  const { factory, writes } = recorder();
  const r = await frozenBenchmark(encoders, train, test_, {
    knn: { k: [1, 3], batchSize: 3 },
    linear: { epochs: 4, batchSize: 4, lr: 0.1 },
    progress: factory,
  });
  assert.deepEqual([...writes.keys()], ['pix train features', 'pix test features', 'pix kNN', 'pix linear probe']);

  // Features: one update per loader batch of 4 (12 rows: 4, 8, 12).
  assert.deepEqual(
    drawn(writes.get('pix train features')).map((d) => d.done),
    [4, 8, 12],
  );
  // kNN: 10 test rows in similarity batches of 3; update k at second k: ETA = k·(10 − done)/done,
  // 1·7/3 = 2.3, 2·4/6 = 1.3, 3·1/9 = 0.3, then done.
  assert.deepEqual(
    drawn(writes.get('pix kNN')).map((d) => [d.done, d.eta]),
    [
      [3, '0:00:02'],
      [6, '0:00:01'],
      [9, '0:00:00'],
      [10, '0:00:00'],
    ],
  );
  // Linear probe: epoch e (1-based) drawn at second e: ETA = e·(4 − e)/e = 4 − e; the loss shown is
  // that epoch's mean training loss to 4 significant digits.
  const probe = drawn(writes.get('pix linear probe'));
  assert.deepEqual(
    probe.map((d) => [d.done, d.eta]),
    [
      [1, '0:00:03'],
      [2, '0:00:02'],
      [3, '0:00:01'],
      [4, '0:00:00'],
    ],
  );
  const loss = r.pix.linear?.trainLoss as number[];
  assert.equal(loss.length, 4);
  probe.forEach((d, e) => {
    const shown = / {2}loss (\S+) {2}lr \S+ {2}eta/.exec(d.line)?.[1];
    assert.equal(Number(shown), Number(loss[e].toPrecision(4)), d.line);
  });
});

test('frozenBenchmark writes nothing without a progress factory; progressBars draws on stderr', async () => {
  const { stderr } = process;
  const [write, tty] = [stderr.write, stderr.isTTY];
  const err: string[] = [];
  stderr.write = ((s: string) => err.push(s) > 0) as typeof stderr.write;
  stderr.isTTY = true;
  try {
    await frozenBenchmark(encoders, train, test_, { knn: { k: [1] }, linear: { epochs: 2 } });
    assert.deepEqual(err, [], 'library use is quiet');
    const bar = progressBars('kNN', 4);
    bar.update(2);
    bar.done();
  } finally {
    [stderr.write, stderr.isTTY] = [write, tty];
  }
  assert.equal(err.length, 2);
  // (deepEqual above narrowed the array's type.)
  const first = (err as string[])[0];
  assert.ok(first.startsWith('\r') && first.endsWith('\x1b[K'), JSON.stringify(first));
  assert.match(first.slice(1, -3), /^kNN \[#+\.+\] 2\/4 {2}eta \d+:\d\d:\d\d$/);
});
