import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../src/cli/eval.js';
import { aggregateRuns, formatMetric, meanStd } from '../../src/evaluation/repeat.js';

test('aggregateRuns: numbers become mean and sample std, shapes merge, warnings unite', () => {
  const runs = [
    { ssl: { top1: 50, top5: 90, trainLoss: [2, 1], warnings: ['a'] }, task: 'x' },
    { ssl: { top1: 60, top5: 90, trainLoss: [4, 1] }, task: 'x' },
    { ssl: { top1: 70, top5: 90, trainLoss: [3, 1], warnings: ['a', 'b'] }, task: 'x' },
  ];
  const a = aggregateRuns(runs) as { ssl: Record<string, unknown>; task: string };
  // mean 60, deviations ±10: sample variance (100 + 0 + 100) / 2 = 100.
  assert.deepEqual(a.ssl.top1, { mean: 60, std: 10, runs: [50, 60, 70] });
  assert.deepEqual(a.ssl.top5, { mean: 90, std: 0, runs: [90, 90, 90] });
  assert.deepEqual(a.ssl.trainLoss, [
    { mean: 3, std: 1, runs: [2, 4, 3] },
    { mean: 1, std: 0, runs: [1, 1, 1] },
  ]);
  assert.deepEqual(a.ssl.warnings, ['a', 'b']);
  assert.equal(a.task, 'x');
  assert.deepEqual(meanStd([4]), { mean: 4, std: 0, runs: [4] });
  assert.throws(() => aggregateRuns([{ a: [1] }, { a: [1, 2] }]), /results\.a has different lengths/);
  assert.throws(() => aggregateRuns([{ a: 1 }, { b: 1 }]), /results\.a is missing/);
  assert.equal(formatMetric({ mean: 1.234, std: 0.5, runs: [] }), '1.23 ± 0.50');
  assert.equal(formatMetric(3), '3.00');
});

test('formatTable shows mean ± std for repeated runs, per task', () => {
  const ms = (mean: number, std: number) => ({ mean, std, runs: [] });
  assert.equal(
    formatTable('linear', { ssl: { linear: { top1: ms(50, 1), top5: ms(90, 0) } } }),
    'ssl      top-1 50.00 ± 1.00%  top-5 90.00 ± 0.00%',
  );
  assert.equal(formatTable('svm', { ssl: { svm: { mAP: 71.5, top1: 60 } } }), 'ssl      mAP  71.50%  top-1  60.00%');
  assert.equal(
    formatTable('semi', { random: { '1%': { top1: 10, top5: 50 } } }),
    'random   1%   labels  top-1  10.00%  top-5  50.00%',
  );
  assert.match(
    formatTable('lowshot', {
      ssl: { lowShot: { shots: { 2: { mAP: { mean: 40, std: 3 }, top1: { mean: 30, std: 1 } } } } },
    }),
    /^ssl +k=2 +mAP {2}40\.00% \(std over samples 3\.00\) +top-1 {2}30\.00%$/,
  );
});
