import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));

test('selfsup demo (shortened): trains, benchmarks against both baselines, writes checkpoint and report, --json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-demo-'));
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'demo',
      '--minutes',
      '0.1',
      '--eval-samples',
      '300',
      '--work-dir',
      dir,
      '--json',
      '--cfg-options',
      'knnMonitor.train.samplesPerClass=20',
      'knnMonitor.val.samplesPerClass=10',
      'trainDataloader.batchSize=64',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(res.dataset, 'Fashion-MNIST');
  assert.equal(res.algorithm, 'SimCLR');
  for (const protocol of ['knn', 'linear'])
    for (const enc of ['ssl', 'random', 'pixels']) {
      const v = res[protocol][enc];
      assert.ok(typeof v === 'number' && v >= 0 && v <= 100, `${protocol}.${enc} = ${v}`);
    }
  // Raw pixels separate Fashion-MNIST classes far above chance (10 %) even on 300 images.
  assert.ok(res.knn.pixels > 50 && res.linear.pixels > 50);
  // --json: stdout is the JSON alone; the table and status went to stderr.
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.match(r.stderr, /raw pixels/);
  // 6 s cannot hold the 1-epoch recipe: its schedule is fitted to the budget (and the time limit
  // stays as the hard stop).
  const fitted = /schedule fitted to the budget: (\d+) iterations at [\d.]+ s each \(the recipe has (\d+)\)/.exec(r.stderr);
  assert.ok(fitted, r.stderr);
  assert.ok(Number(fitted[1]) < Number(fitted[2]));
  // The run's fit checks may re-fit the length to the pace they measure, each from the last length.
  let planned = Number(fitted[1]);
  for (const [, from, to] of r.stderr.matchAll(/re-fitted from (\d+) to (\d+) iterations/g)) {
    assert.equal(Number(from), planned);
    planned = Number(to);
  }
  const trained = /pre-training: (\d+) iterations/.exec(r.stderr);
  assert.ok(trained && (Number(trained[1]) === planned || /time budget of 6 s spent/.test(r.stderr)), r.stderr);
  const latest = readFileSync(join(dir, 'checkpoints', 'latest'), 'utf8').trim();
  assert.ok(existsSync(join(dir, 'checkpoints', latest)));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /kNN/);
  // The t-SNE of the learned features on the 300 held-out images (all of them: under the 1,000 cap),
  // one circle per image in the report's scatter chart, and its time in the timings table.
  const tsne = /<section id="tsne">.*?<\/section>/s.exec(html);
  assert.ok(tsne, 'report has a t-SNE section');
  assert.match(tsne[0], /<svg [^>]*class="chart scatter-chart"/);
  assert.equal(tsne[0].match(/<circle class="point"/g)?.length, 300);
  assert.match(html, /<th>t-SNE<\/th><td class="num">[\d.]+ s<\/td>/);
  assert.ok(existsSync(join(dir, 'config.json')));
});

test('selfsup demo --data: the same on a folder of your own labelled images (held-out 20 %)', async () => {
  const { mkdirSync } = await import('node:fs');
  const sharp = (await import('sharp')).default;
  const data = mkdtempSync(join(tmpdir(), 'selfsup-demo-data-'));
  for (const [ci, cls] of ['cats', 'dogs'].entries()) {
    mkdirSync(join(data, cls));
    for (let i = 0; i < 10; i++) {
      const px = Buffer.alloc(24 * 24 * 3, ci === 0 ? 40 + i : 200 - i);
      await sharp(px, { raw: { width: 24, height: 24, channels: 3 } })
        .png()
        .toFile(join(data, cls, `${i}.png`));
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'selfsup-demo-work-'));
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'demo',
      '--data',
      data,
      '--size',
      '16',
      '--minutes',
      '0.05',
      '--work-dir',
      work,
      '--json',
      '--cfg-options',
      'trainDataloader.batchSize=4',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(res.dataset, data);
  // Dark vs bright images: raw pixels separate the held-out 4 images perfectly.
  assert.equal(res.knn.pixels, 100);
  // 16 training images in batches of 4: the one-epoch recipe would be 4 iterations inside its
  // 50-iteration warm-up; the schedule is sized in epochs to at least 200 iterations instead…
  assert.match(
    r.stderr,
    /schedule sized to your data: 50 epochs × 4 iterations \(16 training images in batches of 4; at least 200 iterations\)/,
  );
  // …and 3 s cannot train that many here: the run says it could not learn much.
  const trained = Number((/pre-training: (\d+) iterations/.exec(r.stderr) as RegExpExecArray)[1]);
  if (trained < 200) assert.match(r.stderr, new RegExp(`warning: only ${trained} iterations trained \\(fewer than 200\\)`));
  assert.ok(existsSync(join(work, 'report.html')));
});
