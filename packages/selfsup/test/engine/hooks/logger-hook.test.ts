import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../../src/engine/config/config.js';
import type { ConfigObject } from '../../../src/engine/config/merge.js';
import { Runner } from '../../../src/engine/runner.js';
import { readLog, runStats } from '../../../src/visualization/log-records.js';
import { losses, testConfig } from '../parts.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-logger-'));

async function run(workDir: string, resume?: string) {
  losses.length = 0;
  const cfg = validateConfig(testConfig({ epochs: 3 }) as unknown as ConfigObject);
  await new Runner(cfg, { workDir, resume, quiet: true }).train();
}

const iters = (dir: string) =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { iter: number }).iter);

test('resume from an earlier checkpoint: log.jsonl keeps one record per logged iteration; analyze-logs counts each once', async () => {
  // 16 samples, batch 4: 4 iterations per epoch, 12 in all; the logger writes every 2.
  const straight = tmp();
  await run(straight);
  const dir = tmp();
  await run(dir);
  // Back to the end of epoch 1 (iteration 4) and train epochs 2–3 again.
  await run(dir, join(dir, 'checkpoints', 'epoch_1.pth'));
  assert.deepEqual(iters(dir), [2, 4, 6, 8, 10, 12]);
  // The retrained iterations' first records are kept aside, not lost.
  const superseded = readFileSync(join(dir, 'log.superseded.jsonl'), 'utf8').trim().split('\n');
  assert.deepEqual(
    superseded.map((l) => (JSON.parse(l) as { iter: number }).iter),
    [6, 8, 10, 12],
  );
  // Resume is exact, so the statistics equal the uninterrupted run's.
  const a = runStats(readLog(dir));
  const b = runStats(readLog(straight));
  assert.equal(a.records, b.records);
  assert.equal(a.iterations, 12);
  assert.equal(a.modes.train.loss.count, 6);
  assert.equal(a.modes.train.loss.mean, b.modes.train.loss.mean);
  assert.equal(a.modes.train.loss.last, b.modes.train.loss.last);
});

test('resume from the latest checkpoint drops nothing', async () => {
  const dir = tmp();
  await run(dir);
  await run(dir, join(dir, 'checkpoints', 'epoch_3.pth'));
  assert.deepEqual(iters(dir), [2, 4, 6, 8, 10, 12]);
  assert.ok(!existsSync(join(dir, 'log.superseded.jsonl')));
});
