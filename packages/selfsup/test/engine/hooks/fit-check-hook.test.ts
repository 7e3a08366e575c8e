import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FitCheck, FitCheckHook, type FitCheckHookOptions } from '../../../src/engine/hooks/fit-check-hook.js';
import type { RunnerView } from '../../../src/engine/hooks/hook.js';

/** A runner view with the progress the hook reads and the log lines and scalars it writes, and a driven clock (ms). */
function fakeRun(opts: FitCheckHookOptions, maxIters: number, o: { itersPerEpoch?: number; rank0Says?: number } = {}) {
  const lines: string[] = [];
  const scalars: Record<string, number>[] = [];
  const refits: number[] = [];
  const progress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters };
  const view = {
    progress,
    itersPerEpoch: o.itersPerEpoch ?? maxIters,
    log: (l: string) => lines.push(l),
    logScalars: (v: Record<string, number>) => scalars.push(v),
    // Another process's rank 0 may have measured another pace.
    agreeOnNumber: (v: number) => o.rank0Says ?? v,
    refitSchedule: (n: number) => {
      refits.push(n);
      progress.maxIters = n;
    },
  } as unknown as RunnerView;
  const clock = { t: 1000 };
  const perEpochOf = (n: number) => (Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER);
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
      progress.epoch = Math.floor(i / perEpochOf(perEpoch));
      clock.t += typeof ms === 'number' ? ms : ms(i);
      hook.afterTrainIter(view);
    }
  };
  return { hook, iterate, lines, scalars, clock, refits, progress };
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
      'the 100 iterations will take about 1.9 min of the 2.0 min fitted. The probe ran under less load than the run: ' +
      'the time budget will stop the schedule before its end; to fill the budget, stop and fit again under the load the run will have, ' +
      "or set the FitCheckHook's refit: true.",
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
  const run = fakeRun({ secondsPerIter: 1, budgetSeconds: 600, window: 9, skip: 0 }, 100, { itersPerEpoch: 4 });
  run.iterate(20, 1000, 4, 30_000);
  const res = run.hook.result as FitCheck;
  assert.equal(res.secondsPerIter, 1);
  assert.equal(res.iters, 9);
  // Iterations 1–3, 5–7, 9–11 are the nine gaps; the check is at the 12th end, after three epoch
  // starts. The boundaries it crossed (31 s gaps less their 1-s iteration) charge 30 s to each of
  // the 25 − 3 epochs still to begin.
  assert.equal(res.estimatedSeconds, 12 + 3 * 30 + 88 + 22 * 30);
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

test('FitCheckHook refit: a run twice as slow as its probe is re-fitted to the iterations the rest of its budget holds', () => {
  const run = fakeRun({ secondsPerIter: 0.5, budgetSeconds: 200, window: 10, skip: 3, refit: true, margin: 0 }, 100);
  run.iterate(13, (i) => (i < 3 ? 5000 : 1000));
  // 25 s spent at the check (after 13 iterations); 175 s left at the measured 1 s: 13 + 175.
  assert.deepEqual(run.refits, [188]);
  assert.equal(run.progress.maxIters, 188);
  assert.equal(run.hook.result?.refitIters, 188);
  assert.deepEqual(run.scalars, [{ fit_pace: 2 }, { fit_iters: 188 }]);
  assert.deepEqual(run.lines, [
    "selfsup: fit check: 1.000 s per iteration over 10 iterations against the probe's 0.500 (2.00×); " +
      'the schedule is re-fitted from 100 to 188 iterations to end within the 3.3 min budget',
  ]);
  run.iterate(100, 1000);
  assert.deepEqual(run.refits, [188], 'once');
  // The default margin leaves 3 % of the budget: 200 · 0.97 − 25 = 169 s.
  const withMargin = fakeRun({ secondsPerIter: 0.5, budgetSeconds: 200, window: 10, skip: 3, refit: true }, 100);
  withMargin.iterate(13, (i) => (i < 3 ? 5000 : 1000));
  assert.deepEqual(withMargin.refits, [13 + 169]);
});

test('FitCheckHook refit: within 2 % of the schedule it keeps the length; every process takes rank 0’s length', () => {
  // On pace: 5 s spent, 48.5 − 5 = 43.5 s left at 1 s: 48 iterations, the fitted length.
  const onPace = fakeRun({ secondsPerIter: 1, budgetSeconds: 50, window: 4, skip: 0, refit: true }, 48);
  onPace.iterate(5, 1000);
  assert.deepEqual(onPace.refits, []);
  assert.match(
    onPace.lines[0],
    /^selfsup: fit check: 1\.000 s .*\(1\.00×\); the 48 iterations will take about 0\.8 min of the 0\.8 min fitted$/,
  );
  // 2 % of 48 is 0.96: one iteration more is a change worth making.
  const oneMore = fakeRun({ secondsPerIter: 1, budgetSeconds: 51, window: 4, skip: 0, refit: true, margin: 0 }, 48);
  oneMore.iterate(5, 1000);
  assert.deepEqual(oneMore.refits, [51]);
  const follower = fakeRun({ secondsPerIter: 1, budgetSeconds: 50, window: 4, skip: 0, refit: true }, 48, { rank0Says: 60 });
  follower.iterate(5, 1000);
  assert.deepEqual(follower.refits, [60]);
});

test('FitCheckHook refit: a progressive-resize run is costed size by size, the ramp following the new length', () => {
  // 8 px for the first half of training (0.25 s in the probe), 16 px after (1 s): a mean of 0.625 s.
  const resize = { startSize: 8, endSize: 16, rampEnd: 0.5, step: 8 };
  const opts = {
    secondsPerIter: 0.625,
    budgetSeconds: 100,
    window: 10,
    skip: 0,
    resize,
    sizeSeconds: [
      [8, 0.25],
      [16, 1],
    ] as [number, number][],
  };
  const report = fakeRun(opts, 100);
  report.iterate(11, 500);
  // Ten 0.5-s iterations at 8 px, twice the probe there: against the mean it would look faster (0.8×).
  const res = report.hook.result as FitCheck;
  assert.equal(res.ratio, 2);
  // 5.5 s, then 2 × (39 × 0.25 + 50 × 1) s for iterations 11–99.
  assert.equal(res.estimatedSeconds, 5.5 + 2 * (39 * 0.25 + 50));
  assert.match(report.lines[0], /against the probe's 0\.250 at those sizes \(2\.00×\)/);
  const refit = fakeRun({ ...opts, refit: true, margin: 0 }, 100);
  refit.iterate(11, 500);
  // 94.5 s left. At 80 iterations, 11–39 run at 8 px and 40–79 at 16: 2 × (29 × 0.25 + 40) = 94.5;
  // at 81, 2 × (30 × 0.25 + 40) = 95 s.
  assert.deepEqual(refit.refits, [80]);
  assert.throws(() => new FitCheckHook({ secondsPerIter: 1, budgetSeconds: 1, resize }), /resize and sizeSeconds go together/);
});

test('FitCheckHook: the hooks’ time at the epochs still to begin is charged; a resumed run is not checked', () => {
  // Epochs of 10 iterations, 20 s of hook work at each start (the first's is in the elapsed time).
  const run = fakeRun(
    { secondsPerIter: 1, budgetSeconds: 200, window: 4, skip: 0, refit: true, margin: 0, epochStartSeconds: 20 },
    50,
    {
      itersPerEpoch: 10,
    },
  );
  run.iterate(5, 1000, 10, 20_000);
  // 25 s spent, 175 left: n iterations cost (n − 5) s + 20 s for each of the ⌈n/10⌉ − 1 epochs to begin.
  // n = 60: 55 + 5 × 20 = 155 s fits; n = 61 begins a 7th epoch: 56 + 6 × 20 = 176 s does not.
  assert.deepEqual(run.refits, [60]);
  assert.deepEqual(run.hook.stateDict(), { checked: true });
  const resumed = fakeRun({ secondsPerIter: 1, budgetSeconds: 50, window: 4, skip: 0, refit: true }, 500);
  resumed.hook.loadStateDict({ checked: false });
  resumed.iterate(20, 3000);
  assert.equal(resumed.hook.result, null);
  assert.deepEqual([resumed.refits, resumed.lines], [[], []]);
});

test('FitCheckHook refit: checked again every window on the last three windows’ pace, following a drift', () => {
  const run = fakeRun({ secondsPerIter: 1, budgetSeconds: 300, window: 10, skip: 0, refit: true, margin: 0 }, 300);
  // On the probe's pace for 21 iterations, then 30 % slower.
  run.iterate(41, (i) => (i <= 20 ? 1000 : 1300));
  // At the 31st end (34 s spent) the last three windows took 10, 10 and 13 s: 1.1× the probe, so
  // 266 s hold 241 more iterations. At the 41st (47 s), 10 + 13 + 13 s: 1.2×, 253 s hold 210.
  assert.deepEqual(run.refits, [272, 251]);
  assert.deepEqual(run.lines, [
    "selfsup: fit check: 1.000 s per iteration over 10 iterations against the probe's 1.000 (1.00×); " +
      'the 300 iterations will take about 5.0 min of the 5.0 min fitted',
    "selfsup: fit check at iteration 31: 1.100 s per iteration over the last 30 iterations against the probe's 1.000 (1.10×); " +
      'the schedule is re-fitted from 300 to 272 iterations to end within the 5.0 min budget',
    "selfsup: fit check at iteration 41: 1.200 s per iteration over the last 30 iterations against the probe's 1.000 (1.20×); " +
      'the schedule is re-fitted from 272 to 251 iterations to end within the 5.0 min budget',
  ]);
  assert.deepEqual(
    run.scalars.map((v) => v.fit_pace ?? v.fit_iters),
    [1, 1, 1.1, 272, 1.2, 251],
  );
  // Without refit the check is made once.
  const once = fakeRun({ secondsPerIter: 1, budgetSeconds: 300, window: 10, skip: 0 }, 300);
  once.iterate(41, (i) => (i <= 20 ? 1000 : 1300));
  assert.deepEqual(once.scalars, [{ fit_pace: 1 }]);
});

test('FitCheckHook refit: the epoch boundaries it crosses replace the probe’s epoch-start time', () => {
  // Epochs of 20 iterations; the probe saw 10 s of hook work at an epoch start, the run spends 20.
  const run = fakeRun(
    { secondsPerIter: 1, budgetSeconds: 200, window: 10, skip: 0, refit: true, margin: 0, epochStartSeconds: 10 },
    100,
    { itersPerEpoch: 20 },
  );
  run.iterate(22, 1000, 20, 20_000);
  // First check, at the 11th end (31 s): (n − 11) s + 10 s for each of the ⌈n/20⌉ − 1 epochs to
  // begin fits 169 s up to n = 120 (109 + 50 s). Second, at the 22nd end (62 s), after a 21-s
  // boundary gap (20 s of hooks): (n − 22) + 20 · (⌈n/20⌉ − 2) fits 138 s up to n = 100 (78 + 60).
  assert.deepEqual(run.refits, [120, 100]);
});
