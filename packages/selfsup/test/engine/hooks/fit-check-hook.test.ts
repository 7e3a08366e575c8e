import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FitCheck, FitCheckHook, type FitCheckHookOptions } from '../../../src/engine/hooks/fit-check-hook.js';
import type { RunnerView } from '../../../src/engine/hooks/hook.js';

/** A runner view with the progress the hook reads and the log lines and scalars it writes, and a driven clock (ms). */
function fakeRun(opts: FitCheckHookOptions, maxIters: number) {
  const lines: string[] = [];
  const scalars: Record<string, number>[] = [];
  const progress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters };
  const view = {
    progress,
    log: (l: string) => lines.push(l),
    logScalars: (v: Record<string, number>) => scalars.push(v),
  } as unknown as RunnerView;
  const clock = { t: 1000 };
  const hook = new FitCheckHook(opts, () => clock.t);
  hook.beforeRun();
  let i = 0;
  /** `n` iterations of `ms` each (`ms(i)` per iteration), an epoch start with `epochMs` of hook work every `perEpoch`. */
  const iterate = (n: number, ms: number | ((i: number) => number), perEpoch = Infinity, epochMs = 0) => {
    for (const end = i + n; i < end; i++) {
      if (i % perEpoch === 0) {
        hook.beforeTrainEpoch();
        clock.t += epochMs;
      }
      progress.iter = i;
      clock.t += typeof ms === 'number' ? ms : ms(i);
      hook.afterTrainIter(view);
    }
  };
  return { hook, iterate, lines, scalars, clock };
}

test('FitCheckHook: a run twice as slow as its probe is reported once, with the end the measured pace gives', () => {
  const run = fakeRun({ secondsPerIter: 0.5, budgetSeconds: 120, window: 10, skip: 3 }, 100);
  // The first iterations are slow (compilation, caches); the check leaves them out.
  run.iterate(30, (i) => (i < 3 ? 5000 : 1000));
  const res = run.hook.result as FitCheck;
  // Gaps from the 3rd iteration's end to the 13th: ten of 1 s.
  assert.deepEqual(
    { ...res },
    // At the 13th iteration's end 3 × 5 + 10 × 1 = 25 s have passed; 87 iterations remain at 1 s.
    { secondsPerIter: 1, iters: 10, ratio: 2, estimatedSeconds: 25 + 87, off: true },
  );
  assert.deepEqual(run.lines, [
    "selfsup: warning: fit check: 1.000 s per iteration over 10 iterations against the probe's 0.500 (2.00×); " +
      'the 100 iterations will take about 1.9 min of the 2.0 fitted. The probe ran under less load than the run: ' +
      'the time budget will stop the schedule before its end; to fill the budget, stop and fit again under the load the run will have.',
  ]);
  assert.deepEqual(run.scalars, [{ fit_pace: 2 }], 'the check is made once');
});

test('FitCheckHook: within the tolerance it is a plain line; a run faster than its probe is told its schedule ends early', () => {
  const near = fakeRun({ secondsPerIter: 1, budgetSeconds: 60, window: 4, skip: 0, tolerance: 0.25 }, 50);
  near.iterate(5, 1240);
  assert.equal(near.hook.result?.off, false);
  assert.match(
    near.lines[0],
    /^selfsup: fit check: 1\.240 s per iteration over 4 iterations against the probe's 1\.000 \(1\.24×\); the 50 iterations/,
  );
  const beyond = fakeRun({ secondsPerIter: 1, budgetSeconds: 60, window: 4, skip: 0, tolerance: 0.25 }, 50);
  beyond.iterate(5, 1260);
  assert.equal(beyond.hook.result?.off, true);
  const fast = fakeRun({ secondsPerIter: 2, budgetSeconds: 60, window: 4, skip: 0 }, 50);
  fast.iterate(5, 1000);
  assert.equal(fast.hook.result?.ratio, 0.5);
  assert.match(fast.lines[0], /^selfsup: warning: .*ran under more load than the run: the schedule will end early/);
});

test('FitCheckHook: the gap after an epoch start (its hooks’ work) is left out, as the fit charges it apart', () => {
  // Epochs of 4 iterations whose starts work 30 s each: counted, they would make the mean 8.5 s.
  const run = fakeRun({ secondsPerIter: 1, budgetSeconds: 600, window: 9, skip: 0 }, 100);
  run.iterate(20, 1000, 4, 30_000);
  const res = run.hook.result as FitCheck;
  assert.equal(res.secondsPerIter, 1);
  assert.equal(res.iters, 9);
  // Iterations 1–3, 5–7, 9–11 are the nine gaps; the check is at the 12th end, after three epoch starts.
  assert.equal(res.estimatedSeconds, 12 + 3 * 30 + 88);
});

test('FitCheckHook: the window is a fifth of a short run, 200 iterations of a long one; bad options are refused', () => {
  const short = fakeRun({ secondsPerIter: 1, budgetSeconds: 60 }, 50);
  short.iterate(25, 1000);
  assert.equal(short.hook.result, null, '16 left out, then 9 gaps');
  short.iterate(1, 1000);
  assert.equal((short.hook.result as FitCheck | null)?.iters, 10);
  const long = fakeRun({ secondsPerIter: 1, budgetSeconds: 60 }, 5000);
  long.iterate(215, 1000);
  assert.equal(long.hook.result, null);
  long.iterate(1, 1000);
  assert.equal((long.hook.result as FitCheck | null)?.iters, 200);
  assert.throws(() => new FitCheckHook({ secondsPerIter: 0, budgetSeconds: 1 }), /secondsPerIter/);
  assert.throws(() => new FitCheckHook({ secondsPerIter: 1, budgetSeconds: 1, tolerance: -1 }), /tolerance/);
});
