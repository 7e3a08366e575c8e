import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { assertClose, py } from '../../helpers.js';
import { definePart, registerParts } from '../../../src/core/registry.js';
import { z } from '../../../src/core/schema.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import { validateConfig } from '../../../src/engine/config/config.js';
import type { ConfigObject } from '../../../src/engine/config/merge.js';
import { describeSizeSeconds, progressiveSecondsPerIter, progressiveSizeShares } from '../../../src/engine/fit-schedule.js';
import { progressiveSize } from '../../../src/engine/hooks/progressive-resize-hook.js';
import { resizeView } from '../../../src/engine/input-resize.js';
import { Runner } from '../../../src/engine/runner.js';
import { Algorithm, type AlgorithmInput, type LossOutput } from '../../../src/models/algorithms/base.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import { HOOKS } from '../../../src/engine/registries.js';
import '../parts.js';
import '../../../src/builtins.js';

test('progressiveSize: start size, a linear ramp rounded down to the step, then the end size', () => {
  const o = { startSize: 8, endSize: 16, rampStart: 0.25, rampEnd: 0.75, step: 4 };
  // Before the ramp: 8. On it: 8 + 8·t with t = (f − 0.25) / 0.5, floored to a multiple of 4.
  assert.equal(progressiveSize(o, 0), 8);
  assert.equal(progressiveSize(o, 0.25), 8);
  assert.equal(progressiveSize(o, 0.4), 8); // 8 + 8·0.3 = 10.4 → 8
  assert.equal(progressiveSize(o, 0.5), 12); // 8 + 4 = 12
  assert.equal(progressiveSize(o, 0.74), 12); // 15.84 → 12
  assert.equal(progressiveSize(o, 0.75), 16);
  assert.equal(progressiveSize(o, 1), 16);
  // Defaults: ramp from the start to 85 % of training, step 4.
  assert.equal(progressiveSize({ startSize: 16, endSize: 32 }, 0.425), 24);
});

test('progressiveSizeShares: the fraction of training at each size', () => {
  // Defaults (ramp 0 → 0.85, step 4), 16 → 32 px: 16 + 16·f/0.85 reaches 20, 24, 28 at
  // f = 0.2125, 0.425, 0.6375, and 32 from 0.85: four shares of 0.2125 and one of 0.15.
  const shares = progressiveSizeShares({ startSize: 16, endSize: 32 });
  assert.deepEqual([...shares.keys()], [16, 20, 24, 28, 32]);
  const expected = [0.2125, 0.2125, 0.2125, 0.2125, 0.15];
  for (const [i, share] of [...shares.values()].entries()) assert.ok(Math.abs(share - expected[i]) < 1e-3, `${share}`);
});

test('progressiveSecondsPerIter: timed sizes weighted by their share, untimed ones interpolated in side²', () => {
  // Ramp over the first half in 8-px steps: 16 px for [0, 0.25), 24 px for [0.25, 0.5), 32 px after.
  const o = { startSize: 16, endSize: 32, rampStart: 0, rampEnd: 0.5, step: 8 };
  // Every size timed: 0.25·1 + 0.25·3 + 0.5·4.
  const all = new Map([
    [16, 1],
    [24, 3],
    [32, 4],
  ]);
  assert.ok(Math.abs(progressiveSecondsPerIter(o, all) - 3) < 1e-12);
  // 24 px not timed: 1 + 3·(24² − 16²)/(32² − 16²) = 1 + 3·320/768 = 2.25 → 0.25 + 0.5625 + 2.
  const ends = new Map([
    [16, 1],
    [32, 4],
  ]);
  assert.ok(Math.abs(progressiveSecondsPerIter(o, ends) - 2.8125) < 1e-12);
  assert.throws(() => progressiveSecondsPerIter(o, new Map([[32, 4]])), /no timing for the 16-px size/);
});

test('resizeView matches PyTorch bilinear antialiased interpolation and keeps 0–255 units', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 12 * 10 }, (_, i) => (i * 37 + 11) % 256);
  const view = torch.tensor(data, { shape: [2, 3, 12, 10] });
  const ref = py<number[]>(
    `import torch.nn.functional as F
x = torch.tensor(D['x'], dtype=torch.uint8).reshape(2, 3, 12, 10).float()
OUT = F.interpolate(x, size=(6, 5), mode='bilinear', antialias=True, align_corners=False).flatten()`,
    { x: Array.from(data) },
  );
  const out = resizeView(view, 0.5);
  assert.deepEqual(out.shape, [2, 3, 6, 5]);
  assertClose(out.flatten(), ref, 1e-3);
  // Scale 1 (and any scale that rounds to the same size) is the view itself.
  assert.equal(resizeView(view, 1), view);
  assert.equal(resizeView(view, 1.02), view);
});

/** The view sides the model saw, one entry per iteration. */
const seen: number[][] = [];

/** Records its views' sides; the loss is a linear layer on their per-channel means (any size works). */
class ViewSizeProbe extends Algorithm {
  readonly fc: torch.nn.Linear;
  constructor() {
    super({ backbone: { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true } });
    this.fc = this.registerModule('fc', new torch.nn.Linear(3, 1));
  }
  loss(batch: AlgorithmInput, _progress?: TrainProgress): LossOutput {
    seen.push(batch.views.map((v: Tensor) => v.shape[2]));
    return torch.tidy(() => {
      const means = batch.views.map((v) =>
        this.fc
          .forward(this.preprocess(v).mean([2, 3]))
          .pow(2)
          .mean(),
      );
      return { loss: means.reduce((a, b) => a.add(b)), logs: {} };
    });
  }
}

registerParts([
  definePart({
    registry: ALGORITHMS,
    name: 'ViewSizeProbe',
    schema: z.strictObject({}),
    description: 'records the sides of the views it is given',
    build: () => new ViewSizeProbe(),
  }),
]);

function probeConfig(hook: Record<string, unknown>, views: number) {
  return {
    model: { type: 'ViewSizeProbe' },
    trainDataloader: {
      batchSize: 4,
      dataset: {
        type: 'TestArray',
        n: 16,
        size: 16,
        pipeline: { type: 'MultiView', numViews: views, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
      },
    },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.01 } },
    trainCfg: { type: 'IterBasedTrainLoop', maxIters: 8 },
    defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: -1, saveLast: false } },
    customHooks: [hook],
    randomness: { seed: 1 },
  };
}

test('ProgressiveResizeHook: the model sees the scheduled sizes on every view, and the full size at the end', async () => {
  seen.length = 0;
  const hook = { type: 'ProgressiveResizeHook', startSize: 8, endSize: 16, rampStart: 0, rampEnd: 0.5, step: 4 };
  const cfg = validateConfig(probeConfig(hook, 2) as unknown as ConfigObject);
  const runner = new Runner(cfg, { workDir: mkdtempSync(join(tmpdir(), 'selfsup-resize-')), quiet: true });
  await runner.train();
  // Iteration i of 8 is at fraction i/8: 8 + 16·(i/8) floored to 4 px until 0.5, then 16.
  const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => progressiveSize(hook, i / 8));
  assert.deepEqual(expected, [8, 8, 12, 12, 16, 16, 16, 16]);
  assert.deepEqual(
    seen,
    expected.map((s) => [s, s]),
  );
});

test('ProgressiveResizeHook: a bad schedule is a config error naming the key', () => {
  const bad = { type: 'ProgressiveResizeHook', startSize: 24, endSize: 16 };
  assert.throws(() => HOOKS.build(bad, 'customHooks.0'), /customHooks\.0\.startSize: startSize must not exceed endSize/);
  const ramp = { type: 'ProgressiveResizeHook', startSize: 8, endSize: 16, rampStart: 0.9, rampEnd: 0.5 };
  assert.throws(() => HOOKS.build(ramp, 'customHooks.0'), /customHooks\.0\.rampEnd: rampStart must come before rampEnd/);
  assert.throws(
    () => HOOKS.build({ type: 'ProgressiveResizeHook', startSize: 8, endSize: 16, rampEnd: 1.5 }, 'customHooks.0'),
    /customHooks\.0\.rampEnd/,
  );
});

test('measureIterSeconds times a progressive-resize config at the one scale asked for', async () => {
  const { measureIterSeconds } = await import('../../../src/engine/fit-schedule.js');
  seen.length = 0;
  const hook = { type: 'ProgressiveResizeHook', startSize: 8, endSize: 16 };
  const cfg = validateConfig(probeConfig(hook, 1) as unknown as ConfigObject);
  await measureIterSeconds(cfg, { iters: 6, warmup: 1, inputScale: 0.5 });
  assert.deepEqual(seen, Array(6).fill([8]));
  seen.length = 0;
  await measureIterSeconds(cfg, { iters: 6, warmup: 1 });
  assert.deepEqual(seen, Array(6).fill([16]));
});

test('fitToSeconds times a progressive-resize config at every size it visits, smaller ones longer, and keeps the hook', async () => {
  const { fitToSeconds } = await import('../../../src/engine/fit-schedule.js');
  seen.length = 0;
  const hook = { type: 'ProgressiveResizeHook', startSize: 8, endSize: 16 };
  const cfg = validateConfig(probeConfig(hook, 1) as unknown as ConfigObject);
  const fit = await fitToSeconds(cfg, 600, { iters: 6 });
  // The schedule visits 8, 12 and 16 px. Full size first (6 iterations), then the others in
  // ascending order, each for 6·(16/size)² iterations rounded up, at most 4×: 24 at 8 px, 11 at 12.
  assert.deepEqual(seen, [...Array(6).fill([16]), ...Array(24).fill([8]), ...Array(11).fill([12])]);
  // Each timed size is reported, ascending; the mean is their share-weighted mean (shares 0.425, 0.425, 0.15).
  assert.deepEqual(
    fit.sizeSeconds?.map(([size]) => size),
    [8, 12, 16],
  );
  const at = new Map(fit.sizeSeconds);
  assert.ok(Math.abs(fit.secondsPerIter - progressiveSecondsPerIter(hook, at)) < 1e-12);
  assert.match(describeSizeSeconds(fit), /^ \(mean over 8 px \d+\.\d{3} s, 12 px \d+\.\d{3} s, 16 px \d+\.\d{3} s\)$/);
  assert.deepEqual(
    fit.cfg.customHooks?.filter((h) => h.type === 'ProgressiveResizeHook'),
    [hook],
  );
  assert.equal(fit.cfg.trainCfg.maxIters, fit.maxIters);
  // The run's check costs the schedule size by size, as the fit did.
  const { type: _, ...resize } = hook;
  assert.deepEqual(
    fit.cfg.customHooks?.filter((h) => h.type === 'FitCheckHook'),
    [
      {
        type: 'FitCheckHook',
        secondsPerIter: fit.secondsPerIter,
        budgetSeconds: 600,
        refit: true,
        epochStartSeconds: fit.epochStartSeconds,
        resize,
        sizeSeconds: fit.sizeSeconds,
      },
    ],
  );
});

test('fitToSeconds checks the ProgressiveResizeHook before timing anything', async () => {
  const { fitToSeconds } = await import('../../../src/engine/fit-schedule.js');
  seen.length = 0;
  const cfg = validateConfig(
    probeConfig({ type: 'ProgressiveResizeHook', startSize: 32, endSize: 16 }, 1) as unknown as ConfigObject,
  );
  await assert.rejects(fitToSeconds(cfg, 600, { iters: 6 }), /customHooks\.0\.startSize: startSize must not exceed endSize/);
});
