import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { latestCheckpoint, loadCheckpoint } from '../../src/engine/checkpoint.js';
import { validateConfig } from '../../src/engine/config/config.js';
import type { ConfigObject } from '../../src/engine/config/merge.js';
import { fileURLToPath } from 'node:url';
import { importUserModules } from '../../src/core/user-modules.js';
import { NonFiniteLossError, Runner } from '../../src/engine/runner.js';
import { calls, losses, lrs, testConfig } from './parts.js';
import { fitSchedule } from '../../src/engine/schedule-scale.js';
import '../../src/builtins.js';
import { DATASETS } from '../../src/data/registries.js';
import { definePart } from '../../src/core/registry.js';
import { z } from '../../src/core/schema.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-runner-'));

async function run(cfg: ReturnType<typeof testConfig>, workDir: string, resume?: boolean | string) {
  losses.length = 0;
  lrs.length = 0;
  const runner = new Runner(validateConfig(cfg as unknown as ConfigObject), { workDir, resume, quiet: true });
  const result = await runner.train();
  return { runner, result, losses: [...losses], lrs: [...lrs] };
}

test('hooks run at every point in priority order (equal priorities keep config order)', async () => {
  const cfg = testConfig({ epochs: 2, n: 8, batch: 4 });
  cfg.customHooks = [
    { type: 'RecordingHook', name: 'low', priority: 70 },
    { type: 'RecordingHook', name: 'high', priority: 30 },
    { type: 'RecordingHook', name: 'high2', priority: 30 },
  ] as never;
  calls.length = 0;
  await run(cfg, tmp());
  const expected: string[] = [];
  const all = (p: string) => expected.push(`high:${p}`, `high2:${p}`, `low:${p}`);
  all('beforeRun');
  for (let e = 0; e < 2; e++) {
    all(`beforeTrainEpoch${e}`);
    for (let i = 0; i < 2; i++) {
      all(`beforeTrainIter${e * 2 + i}`);
      all(`afterTrainIter${e * 2 + i}`);
    }
    all(`afterTrainEpoch${e}`);
  }
  all('afterRun');
  assert.deepEqual(calls, expected);
});

test('work dir: log.jsonl records, TensorBoard events, checkpoints with a latest pointer', async () => {
  const dir = tmp();
  const { result } = await run(testConfig({ epochs: 2 }), dir);
  const records = readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // 4 iterations per epoch, interval 2 → records at iterations 2, 4, 6, 8.
  assert.deepEqual(
    records.map((r) => [r.mode, r.epoch, r.iter]),
    [
      ['train', 1, 2],
      ['train', 1, 4],
      ['train', 2, 6],
      ['train', 2, 8],
    ],
  );
  for (const r of records) {
    for (const k of ['lr', 'loss', 'loss_a', 'loss_b', 'data_time', 'iter_time', 'imgs_per_sec'])
      assert.equal(typeof r[k], 'number', k);
    assert.ok(Math.abs(r.loss - (r.loss_a + r.loss_b)) < 1e-5);
  }
  assert.ok(readdirSync(join(dir, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents.')));
  assert.deepEqual(
    readdirSync(join(dir, 'checkpoints'))
      .filter((f) => f.endsWith('.pth'))
      .sort(),
    ['epoch_1.pth', 'epoch_2.pth'],
  );
  assert.equal(latestCheckpoint(join(dir, 'checkpoints')), join(dir, 'checkpoints', 'epoch_2.pth'));
  assert.equal(result.checkpoint, join(dir, 'checkpoints', 'epoch_2.pth'));
  const { state } = loadCheckpoint(dir);
  const meta = state.meta as Record<string, unknown>;
  assert.equal(meta.iter, 8);
  assert.equal(meta.epoch, 2);
});

test('exact resume: 2 epochs straight = 1 epoch + resume + 1 epoch (loss sequence bit-identical)', async () => {
  const straight = await run(testConfig({ epochs: 2 }), tmp());
  assert.equal(straight.losses.length, 8);
  // 1 epoch, then resume: a stop requested at iteration 4 ends epoch 1 (as a killed run would).
  const dir2 = tmp();
  const part1 = await run(testConfig({ epochs: 2, stopAt: 4 }), dir2);
  assert.equal(part1.result.stopped, 'test stop');
  const part2 = await run(testConfig({ epochs: 2 }), dir2, true);
  assert.deepEqual([...part1.losses, ...part2.losses], straight.losses);
});

test('exact resume from the middle of an epoch (interrupt checkpoint at iteration 3)', async () => {
  const straight = await run(testConfig({ epochs: 2 }), tmp());
  const dir = tmp();
  const part1 = await run(testConfig({ epochs: 2, stopAt: 3 }), dir);
  assert.ok(existsSync(join(dir, 'checkpoints', 'iter_3.pth')));
  const part2 = await run(testConfig({ epochs: 2 }), dir, join(dir, 'checkpoints', 'iter_3.pth'));
  assert.equal(part1.losses.length, 3);
  assert.deepEqual([...part1.losses, ...part2.losses], straight.losses);
  // Final weights equal too.
  const w = (d: string) =>
    (loadCheckpoint(join(d, 'checkpoints', 'epoch_2.pth')).state.state_dict as Record<string, torch.Tensor>)[
      'backbone.fc.weight'
    ];
  assert.ok(torch.tidy(() => w(dir).equal(w(straight.runner.workDir))));
});

test('refitSchedule: after it the run trains the re-fitted config; config.json and a resume follow it', async () => {
  // 24 iterations (4 per epoch: warm-up over the first 3, cosine over 6 epochs), as fitted to a budget.
  const fitted = fitSchedule(validateConfig(testConfig({ epochs: 6 }) as unknown as ConfigObject), 24, 4);
  type Cfg = ReturnType<typeof testConfig>;
  const withHooks = (c: unknown, hooks: unknown[]) => ({ ...(c as Cfg), customHooks: hooks }) as Cfg;
  const recorder = { type: 'RecordingHook', name: 'loss', priority: 50 };
  const short = await run(withHooks(fitted, [recorder]), tmp());
  // The same config re-fitted to 40 iterations before it starts: what the refit must turn into.
  const long = await run(withHooks(fitSchedule(fitted, 40, 4), [recorder]), tmp());
  assert.equal(long.lrs.length, 40);

  const dir = tmp();
  const refitAt6 = { type: 'RefitAtHook', at: 6, maxIters: 40 };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify({ ...fitted, workDir: dir })}\n`);
  const refit = await run(withHooks(fitted, [recorder, refitAt6]), dir);
  assert.equal(refit.result.iters, 40);
  assert.equal(refit.runner.maxIters, 40);
  assert.equal(refit.runner.maxEpochs, 10);
  // Six iterations of the 24-iteration schedule, then the 40-iteration one from its 7th on.
  assert.deepEqual(refit.lrs.slice(0, 6), short.lrs.slice(0, 6));
  assert.deepEqual(refit.lrs.slice(6), long.lrs.slice(6));
  assert.notDeepEqual(long.lrs.slice(0, 6), short.lrs.slice(0, 6), 'the two schedules differ where the refit happens');
  // By hand: the warm-ups are over by then; cosine to 0 over 24 steps, then over 40, to one step short of its end.
  const cosine = (step: number, steps: number) => (0.05 * (1 + Math.cos((Math.PI * step) / steps))) / 2;
  for (const [i, want] of [
    [5, cosine(5, 24)],
    [6, cosine(6, 40)],
    [39, cosine(39, 40)],
  ])
    assert.ok(Math.abs(refit.lrs[i] - want) < 1e-12, `lr at iteration ${i}: ${refit.lrs[i]}, by hand ${want}`);
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(saved.trainCfg, { type: 'IterBasedTrainLoop', maxIters: 40 });
  assert.deepEqual(saved.paramScheduler, fitSchedule(fitted, 40, 4).paramScheduler);
  assert.equal(saved.workDir, dir, 'the rest of config.json is kept');
  assert.deepEqual(refit.runner.cfg.paramScheduler, saved.paramScheduler, 'checkpoints record the re-fitted config');

  // Stopped after 20 iterations and resumed from the rewritten config.json: the same run.
  const dir2 = tmp();
  writeFileSync(join(dir2, 'config.json'), `${JSON.stringify({ ...fitted, workDir: dir2 })}\n`);
  const part1 = await run(withHooks(fitted, [{ ...recorder, stopAt: 20 }, refitAt6]), dir2);
  assert.equal(part1.result.iters, 20);
  const resumed = JSON.parse(readFileSync(join(dir2, 'config.json'), 'utf8'));
  const part2 = await run(withHooks(resumed, [recorder, refitAt6]), dir2, true);
  assert.deepEqual([...part1.lrs, ...part2.lrs], refit.lrs);
  assert.deepEqual([...part1.losses, ...part2.losses], refit.losses);

  // Only forwards, and only an iteration-based loop.
  const r = new Runner(validateConfig(fitted as unknown as ConfigObject), { workDir: tmp(), quiet: true });
  assert.throws(() => r.refitSchedule(0), /must be an integer above the 0 iterations done/);
  const byEpochs = new Runner(validateConfig(testConfig() as unknown as ConfigObject), { workDir: tmp(), quiet: true });
  assert.throws(() => byEpochs.refitSchedule(10), /trains by epochs/);
});

test('NaN guard: stops with a clear error, nothing stepped, the last good checkpoint kept', async () => {
  const dir = tmp();
  await assert.rejects(
    run(testConfig({ epochs: 3, nanAt: 5 }), dir),
    (e: Error) =>
      e instanceof NonFiniteLossError &&
      /loss is NaN at epoch 2, iteration 6 \(loss_a=.*\); nothing was updated\. The last good checkpoint is .*epoch_1\.pth/.test(
        e.message,
      ),
  );
  const { state } = loadCheckpoint(dir);
  const w = (state.state_dict as Record<string, torch.Tensor>)['backbone.fc.weight'];
  assert.ok(torch.tidy(() => w.isfinite().all().item()));
  assert.equal((state.meta as Record<string, unknown>).iter, 4);
});

test('numWorkers: worker threads (loading the --import modules) train on the same batches as the training thread', async () => {
  const withPipeline = (numWorkers: number, type = 'TestArray') => {
    const cfg = testConfig({ epochs: 1 });
    return {
      ...cfg,
      trainDataloader: {
        ...cfg.trainDataloader,
        numWorkers,
        dataset: {
          ...cfg.trainDataloader.dataset,
          type,
          pipeline: [{ type: 'RandomResizedCrop', size: 8 }, { type: 'RandomFlip' }],
        },
      },
    };
  };
  // The test parts reach the workers as a user's --import module does.
  await importUserModules([fileURLToPath(new URL('./parts.js', import.meta.url))]);
  const inThread = await run(withPipeline(0), tmp());
  const threaded = await run(withPipeline(2), tmp());
  assert.equal(inThread.runner.loader.o.workers, undefined);
  assert.equal(threaded.runner.loader.o.workers?.count, 2);
  assert.equal(threaded.losses.length, 4);
  assert.deepEqual(threaded.losses, inThread.losses);
  // A dataset registered only in this thread (and not in memory, which workers would share) cannot
  // be rebuilt by workers: a clear error, no hang.
  DATASETS.register(
    definePart({
      registry: DATASETS,
      name: 'ThisThreadOnly',
      schema: z.strictObject({ n: z.number().optional(), size: z.number().optional() }),
      description: 'TestArray behind a wrapper, registered in the main thread only',
      build: (o) => {
        const inner = DATASETS.build({ type: 'TestArray', ...o }, 'x');
        return {
          length: inner.length,
          labels: inner.labels,
          classes: inner.classes,
          get: (i: number) => inner.get(i),
          describe: () => `ThisThreadOnly(${inner.describe()})`,
        };
      },
    }),
  );
  await assert.rejects(
    run(withPipeline(1, 'ThisThreadOnly'), tmp()),
    /a loader worker could not start: .*ThisThreadOnly.*trainDataloader\.numWorkers=0/,
  );
});

test('start: temporaries of a killed save (dead PID) are removed, a live process’s are left alone', async () => {
  const dir = tmp();
  const ckpt = join(dir, 'checkpoints');
  mkdirSync(ckpt, { recursive: true });
  // A PID that surely ran and is gone: a child we started and waited for.
  const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
  assert.ok(dead > 0);
  const stale = [join(ckpt, `iter_4.pth.tmp-${dead}-k3j2`), join(ckpt, `latest.tmp-${dead}-x9`), join(dir, `log.tmp-${dead}-a`)];
  const live = join(ckpt, `iter_8.pth.tmp-${process.pid}-q1`);
  const unrelated = join(ckpt, 'notes.tmp-abc');
  for (const f of [...stale, live, unrelated]) writeFileSync(f, 'partial');
  new Runner(validateConfig(testConfig({ epochs: 1 }) as unknown as ConfigObject), { workDir: dir, quiet: true });
  for (const f of stale) assert.ok(!existsSync(f), `${f} should be removed`);
  assert.ok(existsSync(live), 'a temp of a running process stays');
  assert.ok(existsSync(unrelated), 'a file without a writer PID stays');
});
