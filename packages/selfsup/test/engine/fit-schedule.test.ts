import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nn, optim } from '@selfsup/torch';
import type { Config } from '../../src/engine/config/config.js';
import { validateConfig } from '../../src/engine/config/config.js';
import { definePart } from '../../src/core/registry.js';
import { posInt, z } from '../../src/core/schema.js';
import {
  describeHookSeconds,
  fitSchedule,
  fitToSeconds,
  fittedIters,
  measureIterSeconds,
  stretchEpochs,
  windowSecondsPerIter,
} from '../../src/engine/fit-schedule.js';
import { Hook } from '../../src/engine/hooks/hook.js';
import { HOOKS } from '../../src/engine/registries.js';
import { Runner } from '../../src/engine/runner.js';
import { testConfig } from './parts.js';
import '../../src/builtins.js';

/** lr after each of `steps` iterations (and epochs every `epochLength`) of the config's schedule. */
function lrTrace(cfg: Config, steps: number, epochLength: number): number[] {
  const p = new nn.Linear(1, 1);
  const opt = new optim.SGD(p.parameters(), { lr: 1 });
  const s = optim.buildParamSchedulers(opt, (cfg.paramScheduler ?? []) as unknown as optim.SchedulerConfig[], { epochLength });
  const out = [opt.paramGroups[0].lr as number];
  for (let i = 1; i <= steps; i++) {
    s.stepIter();
    if (i % epochLength === 0) s.stepEpoch();
    out.push(opt.paramGroups[0].lr as number);
  }
  return out;
}

function cfgWith(paramScheduler: object[], trainCfg: Config['trainCfg'], extra: object = {}): Config {
  return validateConfig({
    model: { type: 'X' },
    trainDataloader: { batchSize: 2, dataset: { type: 'X' } },
    optimWrapper: { optimizer: { type: 'SGD', lr: 1 } },
    paramScheduler,
    trainCfg,
    ...extra,
  } as never);
}

test('fitSchedule: a 100-epoch warm-up + cosine recipe fitted to a tenth: after the warm-up, lr(i) equals the original lr(10 i)', () => {
  const L = 10;
  const cfg = cfgWith(
    [
      { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 5, convertToIterBased: true },
      { type: 'CosineAnnealingLR', byEpoch: true, begin: 5, end: 100, etaMin: 0.01, convertToIterBased: true },
    ],
    { type: 'EpochBasedTrainLoop', maxEpochs: 100 },
    {
      defaultHooks: { checkpoint: { interval: 5 } },
      knnMonitor: { interval: 10, train: { type: 'X' }, val: { type: 'X' } },
    },
  );
  const fitted = fitSchedule(cfg, 100, L);
  assert.deepEqual(fitted.trainCfg, { type: 'IterBasedTrainLoop', maxIters: 100 });
  assert.deepEqual(
    fitted.paramScheduler?.map((e) => [e.type, e.byEpoch, e.begin, e.end, 'convertToIterBased' in e]),
    [
      ['LinearLR', false, 0, 5, false],
      ['CosineAnnealingLR', false, 5, 100, false],
    ],
  );
  // 5 epochs × 10 iterations × 0.1 = every 5 iterations; kNN every 10 × 0.1 → every epoch.
  assert.deepEqual(fitted.defaultHooks?.checkpoint, { interval: 5, byEpoch: false });
  assert.equal(fitted.knnMonitor?.interval, 1);
  const orig = lrTrace(cfg, 1000, L);
  const fit = lrTrace(fitted, 100, L);
  for (let i = 5; i < 100; i++) assert.ok(Math.abs(fit[i] - orig[10 * i]) < 1e-9, `iteration ${i}: ${fit[i]} vs ${orig[10 * i]}`);
  // The warm-up (whose LinearLR spans end − begin − 1 steps, MMEngine's rule, so it does not scale
  // exactly) rises from the same start to the same peak.
  assert.equal(fit[0], orig[0]);
  for (let i = 1; i <= 4; i++) assert.ok(fit[i] > fit[i - 1]);
  assert.ok(Math.abs(fit[4] - 1) < 1e-12);
  // The cosine's last step (t = T − 1 of T = 95) ends near etaMin; a plain time limit at iteration
  // 100 would have stopped the original with its lr still above 90 % of the peak, never annealed.
  assert.ok(Math.abs(fit[100] - (0.01 + (0.99 * (1 + Math.cos((Math.PI * 94) / 95))) / 2)) < 1e-9);
  assert.ok(orig[100] > 0.9);
  // The input config is not modified.
  assert.equal(cfg.trainCfg.maxEpochs, 100);
});

test('fitSchedule: epoch-stepped and iteration-based entries are scaled to iteration positions', () => {
  const L = 10;
  const cfg = cfgWith(
    [
      { type: 'LinearLR', startFactor: 0.5, byEpoch: false, begin: 0, end: 3 },
      { type: 'MultiStepLR', byEpoch: true, milestones: [2, 3], gamma: 0.5 },
    ],
    { type: 'EpochBasedTrainLoop', maxEpochs: 4 },
  );
  const fitted = fitSchedule(cfg, 100, L); // 40 → 100 iterations: × 2.5
  const [lin, ms] = fitted.paramScheduler as Record<string, unknown>[];
  assert.deepEqual([lin.begin, lin.end], [0, Math.round(3 * 2.5)]);
  assert.deepEqual([ms.byEpoch, ms.begin, ms.milestones], [false, 0, [50, 75]]);
  const orig = lrTrace(cfg, 40, L);
  const fit = lrTrace(fitted, 100, L);
  // The per-epoch milestones (after epochs 2 and 3) fall at fitted iterations 50 and 75.
  assert.equal(fit[49], orig[19]);
  assert.equal(fit[50], orig[20]);
  assert.equal(fit[75], orig[30]);
  assert.equal(fit[100], 0.25);
  assert.throws(() => fitSchedule(cfg, 0, L), /maxIters must be a positive integer/);
  assert.throws(() => fitSchedule(cfg, 10, 0.5), /itersPerEpoch must be a positive integer/);
});

test('stretchEpochs: epoch positions scale with the epochs, an iteration warm-up keeps its length', () => {
  const L = 4; // a small folder: 4 iterations per epoch
  const cfg = cfgWith(
    [
      { type: 'LinearLR', startFactor: 0.1, byEpoch: false, begin: 0, end: 50 },
      { type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: 1, convertToIterBased: true },
    ],
    { type: 'EpochBasedTrainLoop', maxEpochs: 1 },
    { defaultHooks: { checkpoint: { interval: 1 } } },
  );
  const s = stretchEpochs(cfg, 60);
  assert.deepEqual(s.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 60 });
  const [lin, cos] = s.paramScheduler as Record<string, unknown>[];
  assert.deepEqual(lin, (cfg.paramScheduler as object[])[0]);
  assert.deepEqual([cos.begin, cos.end, cos.byEpoch], [0, 60, true]);
  assert.equal(s.defaultHooks?.checkpoint?.interval, 60);
  // The stretched run leaves the warm-up (50 of 240 iterations) and anneals to ~0 by its end;
  // the one-epoch original is still warming up when it ends (lr < 1 all along).
  const orig = lrTrace(cfg, L, L);
  assert.ok(Math.max(...orig) < 0.2);
  const lr = lrTrace(s, 60 * L, L);
  assert.ok(Math.max(...lr) > 0.7, String(Math.max(...lr)));
  assert.ok(lr[60 * L] < 1e-3 * Math.max(...lr));
  assert.throws(() => stretchEpochs(cfg, 0), /epochs must be a positive integer/);
  assert.throws(() => stretchEpochs(cfgWith([], { type: 'IterBasedTrainLoop', maxIters: 5 }), 3), /IterBasedTrainLoop/);
});

test('windowSecondsPerIter: the mean gap after the warm-up, slow iterations included', () => {
  // The first two ends are the warm-up; from 300 ms on the gaps are 100, 200 and 300 ms: mean 0.2 s.
  assert.ok(Math.abs(windowSecondsPerIter([0, 100, 300, 400, 600, 900], 2) - 0.2) < 1e-12);
  // Gaps 100, 100, 100, 900: the mean 0.3 s counts the slow iteration a run also pays for.
  assert.ok(Math.abs(windowSecondsPerIter([0, 50, 150, 250, 350, 1250], 1) - 0.3) < 1e-12);
  assert.throws(() => windowSecondsPerIter([0, 100, 200], 2), /no gap after the warm-up of 2/);
});

test('fitToSeconds: times the real config, then a runner trains exactly the fitted iterations to the end of the schedule', async () => {
  // 4 iterations per epoch, 200 in all; a small lr, as the fitted run may be long.
  const base = testConfig({ epochs: 50 });
  const cfg = validateConfig({ ...base, optimWrapper: { optimizer: { type: 'SGD', lr: 0.002 } } } as never);
  const fit = await fitToSeconds(cfg, 0.3);
  assert.equal(fit.itersPerEpoch, 4);
  assert.ok(fit.secondsPerIter > 0 && fit.secondsPerIter < 0.3, `${fit.secondsPerIter}`);
  // No hook of this config works at epoch starts: the fit is the budget over the step time.
  assert.ok(fit.runStartSeconds < 0.05 && fit.epochStartSeconds < 0.05, `${fit.runStartSeconds}, ${fit.epochStartSeconds}`);
  assert.equal(fit.maxIters, fittedIters(0.3 * 0.97, fit));
  assert.deepEqual(fit.cfg.trainCfg, { type: 'IterBasedTrainLoop', maxIters: fit.maxIters });
  // The run checks its pace against this probe; fitting the fitted config again replaces the check.
  const checks = (c: Config) => (c.customHooks ?? []).filter((h) => h.type === 'FitCheckHook');
  const check = (f: typeof fit, budgetSeconds: number) => ({
    type: 'FitCheckHook',
    secondsPerIter: f.secondsPerIter,
    budgetSeconds,
    refit: true,
    epochStartSeconds: f.epochStartSeconds,
  });
  assert.deepEqual(checks(fit.cfg), [check(fit, 0.3)]);
  const refit = await fitToSeconds(fit.cfg, 0.2);
  assert.deepEqual(checks(refit.cfg), [check(refit, 0.2)]);
  // The fit alone: the run's own re-fit (tested with the runner) is off here.
  const noRefit = { ...fit.cfg, customHooks: checks(fit.cfg).map((h) => ({ ...h, refit: false })) };
  const runner = new Runner(noRefit, { workDir: mkdtempSync(join(tmpdir(), 'selfsup-fit-')), quiet: true });
  const res = await runner.train();
  assert.equal(res.iters, fit.maxIters);
  assert.equal(res.stopped, undefined);
  // Cosine to etaMin 0 over the fitted length M: after the last iteration the lr is the cosine's
  // value at step M − 1 (the warm-up has long ended).
  const M = fit.maxIters;
  const expected = (0.002 * (1 + Math.cos((Math.PI * (M - 1)) / M))) / 2;
  const lr = runner.optimWrapper.optimizer.paramGroups[0].lr as number;
  assert.ok(Math.abs(lr - expected) < 1e-12, `${lr} vs ${expected}`);
});

test('fittedIters: iterations plus the hooks’ run-start time once and epoch-start time per epoch begun', () => {
  // Without hook time: ⌊10 / 0.3⌋ = 33 (33 × 0.3 = 9.9; 34 × 0.3 = 10.2).
  assert.equal(fittedIters(10, { secondsPerIter: 0.3, itersPerEpoch: 100, runStartSeconds: 0, epochStartSeconds: 0 }), 33);
  // 1 s per iteration, 10 per epoch, 5 s at the start, 20 s per epoch start, 100 s in all:
  // 30 iterations cost 30 + 5 + 3 × 20 = 95; 31 begin a fourth epoch, 31 + 5 + 4 × 20 = 116.
  const m = { secondsPerIter: 1, itersPerEpoch: 10, runStartSeconds: 5, epochStartSeconds: 20 };
  assert.equal(fittedIters(100, m), 30);
  // 115 s: still 30 (31 needs 116); 116 s: 31, and then up to 40 (40 + 5 + 80 = 125 > 116) no more.
  assert.equal(fittedIters(115, m), 30);
  assert.equal(fittedIters(116, m), 31);
  // A budget the hooks alone exceed still trains one iteration.
  assert.equal(fittedIters(10, m), 1);
  assert.throws(() => fittedIters(10, { ...m, secondsPerIter: 0 }), /secondsPerIter must be positive/);
});

/** Waits `runMs` before training and `epochMs` at every epoch start, like a clustering hook. */
class SlowStartHook extends Hook {
  constructor(
    readonly runMs: number,
    readonly epochMs: number,
  ) {
    super();
  }
  override async beforeRun(): Promise<void> {
    await sleep(this.runMs);
  }
  override async beforeTrainEpoch(): Promise<void> {
    await sleep(this.epochMs);
  }
}
HOOKS.register(
  definePart({
    registry: HOOKS,
    name: 'SlowStartHook',
    schema: z.strictObject({ runMs: posInt(), epochMs: posInt() }),
    description: 'waits at the run and epoch starts (fit-schedule test)',
    build: (o) => new SlowStartHook(o.runMs, o.epochMs),
  }),
);

test('measureIterSeconds times the hooks at the run’s and the first epoch’s start; fitToSeconds charges them', async () => {
  const base = testConfig({ epochs: 50 });
  const cfg = validateConfig({
    ...base,
    customHooks: [...base.customHooks, { type: 'SlowStartHook', runMs: 600, epochMs: 120 }],
  } as never);
  const m = await measureIterSeconds(cfg, { iters: 6, warmup: 1 });
  // Timers fire no earlier than asked (less a millisecond of rounding); the epoch start's upper bound
  // (loose, for a loaded machine) catches the run start's 0.6 s counted in it.
  assert.ok(m.runStartSeconds >= 0.599 && m.runStartSeconds < 1.2, `run start ${m.runStartSeconds}`);
  assert.ok(m.epochStartSeconds >= 0.119 && m.epochStartSeconds < 0.5, `epoch start ${m.epochStartSeconds}`);
  // Iteration times leave the epoch starts out: 6 iterations span two epochs of 4.
  assert.ok(m.secondsPerIter < 0.1, `${m.secondsPerIter} s per iteration`);
  // Only the run start is long enough (0.5 s) to be mentioned.
  assert.match(describeHookSeconds(m), /^ \+ 0\.[6-7] s of hooks before training$/);
  assert.equal(
    describeHookSeconds({ runStartSeconds: 0.7, epochStartSeconds: 56.26 }),
    ' + 0.7 s of hooks before training + 56.3 s of hooks per epoch start',
  );
  const fit = await fitToSeconds(cfg, 3, { iters: 6 });
  assert.equal(fit.maxIters, fittedIters(3 * 0.97, fit));
  // The fit carries the measured hook times, and the epoch starts (0.12 s every 4 iterations) cost iterations.
  assert.ok(fit.runStartSeconds >= 0.599 && fit.epochStartSeconds >= 0.119, `${fit.runStartSeconds}, ${fit.epochStartSeconds}`);
  const withoutEpochStarts = fittedIters(3 * 0.97, { ...fit, epochStartSeconds: 0 });
  assert.ok(fit.maxIters < withoutEpochStarts, `${fit.maxIters} iterations, ${withoutEpochStarts} without the epoch starts`);
});
