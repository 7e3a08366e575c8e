#!/usr/bin/env node
// MAE quality at equal wall clock (issue 14, Benchmarks): does MAE pre-training (He et al. 2022)
// help a ViT-Tiny/4 on CIFAR-10 when the total time is fixed?
//   arm A ("mae"):     MAE pre-training for P minutes (the 100-epoch recipe fitted into P, as
//                      bench/quality.mjs does), then fine-tuning for F minutes;
//   arm B ("scratch"): the same ViT-Tiny/4, randomly initialised as arm A's was, fine-tuned for
//                      P + F minutes with the same fine-tune recipe.
// Fine-tuning is time-fitted too: a few timed iterations give seconds per iteration, the number of
// iterations that fill the budget follows, and the warm-up + cosine schedule spans exactly those
// (under one epoch: one pass over a seeded subset of that many images, so nothing repeats).
// Top-1 of the fine-tuned classifier on a class-balanced held-out split of CIFAR-10 *train* (never
// the test set), and kNN + linear probe of the MAE-pretrained and the random-init backbone.
// For equal load on a shared machine the two arms run concurrently, one thread each.
//   node bench/mim_quality.mjs --root DIR [--pretrain-minutes 15] [--finetune-minutes 10] …  (--help)
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: node bench/mim_quality.mjs --root DIR [options]
  --root DIR               holds cifar10/train/<class>/*.jpg (tar -xzf shared/data/cifar10-train.tar.gz -C DIR)
  --pretrain-minutes P     arm A's MAE pre-training budget (default 15)
  --finetune-minutes F     arm A's fine-tune budget; arm B fine-tunes for P + F (default 10)
  --cache DIR              decoded-uint8 cache of the images (default work_dirs/quality/cache)
  --work-dir DIR           (default work_dirs/mim_quality)
  --eval-per-class N       kNN bank / linear-probe training images per class (default 1000)
  --val-per-class N        held-out images per class scored (default all 500)
  --cfg-options k=v …      applied to the MAE recipe before fitting (e.g. trainDataloader.batchSize=128)
  --ft-batch-size N        fine-tune batch (default 64)
  --ft-lr X                fine-tune AdamW lr (default 1e-3), weight decay --ft-wd (default 0.05)
  --warmup-fraction X      fine-tune warm-up as a fraction of its iterations (default 0.05)
  --layer-decay R          layer-wise lr decay, both arms (default none)
  --label-smoothing X      (default 0.1)   --mixup A  --cutmix A  (default off: too few iterations)
  --threads N              threads per arm (default 1)
  --help`;

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    'pretrain-minutes': { type: 'string', default: '15' },
    'finetune-minutes': { type: 'string', default: '10' },
    cache: { type: 'string', default: 'work_dirs/quality/cache' },
    'work-dir': { type: 'string', default: 'work_dirs/mim_quality' },
    'eval-per-class': { type: 'string', default: '1000' },
    'val-per-class': { type: 'string', default: '500' },
    'cfg-options': { type: 'string', multiple: true, default: [] },
    'ft-batch-size': { type: 'string', default: '64' },
    'ft-lr': { type: 'string', default: '1e-3' },
    'ft-wd': { type: 'string', default: '0.05' },
    'warmup-fraction': { type: 'string', default: '0.05' },
    'layer-decay': { type: 'string' },
    'label-smoothing': { type: 'string', default: '0.1' },
    mixup: { type: 'string' },
    cutmix: { type: 'string' },
    threads: { type: 'string', default: '1' },
    arm: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.root) throw new Error('--root DIR is required (CIFAR-10 extracted: DIR/cifar10/train/<class>/*.jpg)');
const num = (name) => {
  const v = values[name];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`--${name}: expected a non-negative number, got '${v}'`);
  return x;
};
const here = fileURLToPath(new URL('.', import.meta.url));
const CONFIG = join(here, '../packages/selfsup/configs/mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts');
const stamp = () => new Date().toISOString().slice(11, 19);

if (!values.arm) {
  // Parent: both arms at once, so that whatever else runs on the machine slows both alike.
  const P = num('pretrain-minutes');
  const F = num('finetune-minutes');
  console.log(
    `MAE ViT-T/4 pre-train ${P} min + fine-tune ${F} min vs fine-tune from random init ${P + F} min; ` +
      `both arms concurrently, ${values.threads} thread(s) each; load average at start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  // The decoded cache is written once here, not by both arms at once.
  process.env.QUALITY_ROOT = values.root;
  process.env.QUALITY_CACHE = values.cache;
  const { importUserModules } = await import('../packages/selfsup/dist/src/core/user-modules.js');
  await importUserModules([join(here, 'quality-data.mjs')]);
  const loads = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 30_000);
  const env = { ...process.env, OMP_NUM_THREADS: values.threads, MKL_NUM_THREADS: values.threads };
  const run = (arm) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--arm', arm], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('close', (code) => {
        if (code !== 0) console.error(`${arm}: failed (exit ${code})`);
        resolve(code === 0 ? JSON.parse(out.trim().split('\n').pop()) : null);
      });
    });
  const [a, b] = await Promise.all([run('mae'), run('scratch')]);
  clearInterval(sampler);
  const mean = loads.reduce((s, l) => s + l, 0) / Math.max(1, loads.length);
  console.log(JSON.stringify({ arms: [a, b], loadAverage: { mean, max: Math.max(...loads, 0), samples: loads.length } }));
  const pct = (x) => `${x.toFixed(2).padStart(6)}%`;
  for (const r of [a, b].filter(Boolean)) {
    const pre = r.pretrain
      ? `pre-train ${r.pretrain.iters} iters (${r.pretrain.images} images) in ${r.pretrain.seconds.toFixed(0)} s; `
      : '';
    const ft = r.finetune;
    console.log(
      `${r.arm.padEnd(8)} (initial Σ|w| ${r.initChecksum.toFixed(4)}) fine-tune top-1 ${pct(ft.top1)} (top-5 ${pct(ft.top5)})  ` +
        `${pre}fine-tune ${ft.iters} iters (${ft.images} images) in ${ft.seconds.toFixed(0)} s`,
    );
    for (const [name, x] of Object.entries(r.frozen))
      console.log(`${''.padEnd(8)} ${name.padEnd(14)} kNN ${pct(x.knn[200].top1)}  linear ${pct(x.linear.top1)}`);
  }
  console.log(
    `load average (1 min) during the run: mean ${mean.toFixed(2)}, max ${Math.max(...loads, 0).toFixed(2)} ` +
      `over ${loads.length} samples; both arms ran concurrently with ${values.threads} thread(s) each`,
  );
  process.exit(a && b ? 0 : 1);
}

// ---------------------------------------------------------------- one arm, in its own process
const torch = await import('../packages/torch/dist/src/index.js');
torch.setNumThreads(Number(values.threads));
const selfsup = await import('../packages/selfsup/dist/src/index.js');
process.env.QUALITY_ROOT = values.root;
process.env.QUALITY_CACHE = values.cache;
process.env.QUALITY_EVAL_PER_CLASS = values['eval-per-class'];
const { importUserModules } = await import('../packages/selfsup/dist/src/core/user-modules.js');
await importUserModules([join(here, 'quality-data.mjs')]);
const { buildDataset } = await import('../packages/selfsup/dist/src/engine/build-data.js');
const { DataLoader } = await import('../packages/selfsup/dist/src/data/loader/loader.js');
const { Subset } = await import('../packages/selfsup/dist/src/data/datasets/subset.js');
const { permutation } = await import('../packages/selfsup/dist/src/data/loader/samplers.js');
const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
const { applyCfgOptions } = await import('../packages/selfsup/dist/src/engine/config/options.js');
const { modelEncoder } = await import('../packages/selfsup/dist/src/engine/model-source.js');
const { frozenBenchmark } = await import('../packages/selfsup/dist/src/evaluation/benchmark.js');
const { evaluateClassifier, fineTune } = await import('../packages/selfsup/dist/src/evaluation/fine-tune.js');
const { pixmimViews } = await import('../packages/selfsup/dist/src/engine/config/recipes.js');
const { windowSecondsPerIter } = await import('../packages/selfsup/dist/src/engine/fit-schedule.js');

const arm = values.arm;
const log = (m) => console.error(`[${stamp()}] ${arm}: ${m}`);
const split = (part) => ({ type: 'CIFAR10HeldOut', part });
const recipe = applyCfgOptions(prepareConfig(CONFIG), values['cfg-options']);
// In-process loading: worker threads would give an arm more than its thread.
recipe.trainDataloader = {
  ...recipe.trainDataloader,
  numWorkers: 0,
  dataset: { ...split('train'), pipeline: recipe.trainDataloader.dataset.pipeline },
};
recipe.knnMonitor = null;

/** Σ|w| over the backbone: shows that both arms start from the same initial weights. */
const checksum = (m) => torch.tidy(() => m.parameters().reduce((s, p) => s + p.abs().sum().item(), 0));

/** A snapshot of a module's weights (copies), to put back with `loadStateDict`. */
const snapshot = (m) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.clone()]));

// Fine-tune data: CIFAR's pad-4 crop + flip (PixMIM's view at 32 px); validation unaugmented.
const ftTrain = buildDataset({ ...split('train'), pipeline: pixmimViews({ size: 32 }) }, 'finetune');
// The first `--val-per-class` held-out images of every class (all 500 by default).
const valSet = buildDataset(split('val'), 'val').dataset;
const perClass = new Map();
const valIndices = [...Array(valSet.length).keys()].filter((i) => {
  const c = valSet.labels[i];
  perClass.set(c, (perClass.get(c) ?? 0) + 1);
  return perClass.get(c) <= num('val-per-class');
});
const valLoader = () => new DataLoader(new Subset(valSet, valIndices), { batchSize: 256, shuffle: false });
const ftVal = valLoader();
const bs = num('ft-batch-size');
const ftOpts = (model) => ({
  ...model.normalization,
  numClasses: 10,
  optimizer: 'adamw',
  lr: num('ft-lr'),
  weightDecay: num('ft-wd'),
  layerDecayRate: num('layer-decay'),
  labelSmoothing: num('label-smoothing'),
  mixupAlpha: num('mixup'),
  cutmixAlpha: num('cutmix'),
  seed: 0,
});
const loaderOver = (indices) =>
  new DataLoader(new Subset(ftTrain.dataset, indices), { batchSize: bs, views: ftTrain.views, shuffle: true, seed: 0 });

/**
 * Fine-tunes `model.backbone` in place for about `seconds`: times a few iterations on a copy of the
 * weights (put back after), then runs a warm-up + cosine schedule over the iterations that fit.
 */
async function fineTuneFor(model, seconds) {
  const order = permutation(ftTrain.dataset.length, 1);
  const probeIters = 6;
  const saved = snapshot(model.backbone);
  const ends = [];
  const probe = await fineTune(model.backbone, loaderOver(order.slice(0, probeIters * bs)), null, {
    ...ftOpts(model),
    epochs: 1,
    onIter: () => ends.push(performance.now()),
  });
  probe.model.head.dispose();
  model.backbone.loadStateDict(saved);
  // The mean gap after the first iteration, as fitToSeconds measures its probe.
  const secondsPerIter = windowSecondsPerIter(ends, 1);
  const iters = Math.max(2, Math.floor((seconds * 0.97) / secondsPerIter));
  const full = Math.floor(ftTrain.dataset.length / bs);
  // Under an epoch, one pass over a subset; over, whole epochs of the full split.
  const epochs = iters < full ? 1 : Math.floor(iters / full);
  const indices = iters < full ? order.slice(0, iters * bs) : order;
  log(`fine-tune ${secondsPerIter.toFixed(2)} s/iter → ${iters} iterations (${epochs} epoch(s) over ${indices.length} images)`);
  const train = loaderOver(indices);
  // The warm-up in epochs that truncates to `warm` iterations (0 when too short to have one).
  const warm = Math.round(iters * num('warmup-fraction'));
  const warmupEpochs = warm >= 1 && warm < epochs * train.length ? (warm + 0.5) / train.length : 0;
  const t0 = performance.now();
  const r = await fineTune(model.backbone, train, null, {
    ...ftOpts(model),
    epochs,
    warmupEpochs,
    onEpoch: ({ epoch, loss }) => log(`fine-tune epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  log(`fine-tuned in ${trainSeconds.toFixed(0)} s; evaluating on the hold-out`);
  const acc = await evaluateClassifier(r.model, ftVal);
  r.model.head.dispose();
  return {
    ...acc,
    iters: r.iterLoss.length,
    images: r.iterLoss.length * bs,
    seconds: trainSeconds,
    secondsPerIter,
    trainLoss: r.trainLoss,
  };
}

/** kNN (k=200, T=0.1) and linear probe (BN before linear) of the frozen backbone, as bench/quality.mjs. */
function frozen(name, model) {
  const bank = new DataLoader(buildDataset(split('eval'), 'bench').dataset, { batchSize: 256, shuffle: false });
  return frozenBenchmark({ [name]: modelEncoder(model) }, bank, valLoader(), {
    knn: { k: [200], temperature: 0.1 },
    linear: { epochs: 100, batchSize: 256, lr: 0.1, norm: 'batchnorm' },
    onStage: log,
  });
}

const P = num('pretrain-minutes') * 60;
const F = num('finetune-minutes') * 60;
const out = { arm, threads: torch.getNumThreads() };
let model;
if (arm === 'mae') {
  const fit = await selfsup.fitToSeconds(recipe, P, { iters: 8 });
  const cfg = fit.cfg;
  cfg.customHooks = [...(cfg.customHooks ?? []), { type: 'TimeBudgetHook', seconds: P * 1.1 }];
  log(
    `pre-train ${fit.secondsPerIter.toFixed(2)} s/iter → ${fit.maxIters} iterations (${(fit.maxIters / fit.itersPerEpoch).toFixed(3)} epochs)`,
  );
  const runner = new selfsup.Runner(cfg, { workDir: join(values['work-dir'], arm), quiet: true });
  out.initChecksum = checksum(runner.model.backbone);
  const trained = await runner.train();
  model = runner.model;
  out.pretrain = {
    iters: trained.iters,
    fittedIters: fit.maxIters,
    images: trained.iters * cfg.trainDataloader.batchSize,
    seconds: trained.seconds,
  };
  log(`pre-trained ${trained.iters} iterations in ${trained.seconds.toFixed(0)} s`);
} else if (arm === 'scratch') {
  // The Runner seeds with the recipe's seed before building: the same initial weights as arm A's.
  torch.manualSeed(recipe.randomness?.seed ?? 0);
  model = selfsup.ALGORITHMS.build(recipe.model, 'model');
  out.initChecksum = checksum(model.backbone);
} else throw new RangeError(`--arm: mae or scratch, got '${arm}'`);
const before = snapshot(model.backbone);
out.finetune = await fineTuneFor(model, arm === 'mae' ? F : P + F);
model.backbone.loadStateDict(before);
out.frozen = await frozen(arm === 'mae' ? 'mae-pretrained' : 'random-init', model);
// The probe's per-epoch losses would only bury the numbers in the JSON.
for (const r of Object.values(out.frozen)) delete r.linear?.trainLoss;
out.valImages = valIndices.length;
out.peakRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
process.exit(0);
