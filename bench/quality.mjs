#!/usr/bin/env node
// Quality benchmark (issue 6 §5): each SSL method pre-trains a CPU-sized ResNet-18 (¼ width,
// CIFAR stem) on CIFAR-10 for the same wall-clock budget, then kNN (k=200, T=0.1, as lightly
// reports) and a linear probe are measured on a held-out class-balanced validation split, next
// to the same backbone randomly initialised and raw pixels; runtime and peak RSS per method.
// Each recipe's schedule is fitted into the budget (`fitToSeconds`: warm-up and cosine decay end
// with the budget) rather than cut off by it.
//   node bench/quality.mjs --root DIR [--minutes 10] [--methods simclr,mocov2,byol,simsiam,barlowtwins,swav,dino] [--cache DIR] [--eval-per-class 1000]
//     [--cfg-options key=value …] [--hook JSON …] [--hard-stop 1.25] [--iters N] [--config FILE] [--baseline-method M]
// A method is a folder of configs/ with a CPU-sized CIFAR-10 config (the ResNet-18 ones, and the MIM
// family's ViTs: mae, pixmim, maskfeat, simmim, spark, mff, itpn, mixmim; --baseline-method mae then
// gives the random-init row a ViT-Tiny).
// --iters N fits each recipe into N iterations instead of the wall-clock budget (numbers that do
// not depend on how busy the machine is); the loss at the start and the end of training is reported.
// DIR holds cifar10/train/<class>/*.jpg (../shared/data/cifar10-train.tar.gz extracted).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    minutes: { type: 'string', default: '10' },
    methods: { type: 'string', default: 'simclr,mocov2,byol,simsiam,barlowtwins,swav,dino' },
    'work-dir': { type: 'string', default: 'work_dirs/quality' },
    child: { type: 'string' },
    cache: { type: 'string', default: 'work_dirs/quality/cache' },
    'eval-per-class': { type: 'string', default: '1000' },
    baselines: { type: 'boolean', default: true },
    // Applied to every method's recipe before fitting, e.g. trainDataloader.batchSize=128.
    'cfg-options': { type: 'string', multiple: true, default: [] },
    // Hooks (JSON) appended to every method's customHooks, e.g. a ProgressiveResizeHook.
    hook: { type: 'string', multiple: true, default: [] },
    // The hard stop, as a multiple of the budget: a run the machine slows down still anneals.
    'hard-stop': { type: 'string', default: '1.25' },
    'no-baselines': { type: 'boolean', default: false },
    iters: { type: 'string' },
    // Whose backbone the random-init baseline is (a ViT for the MIM family).
    'baseline-method': { type: 'string', default: 'simclr' },
    // A config file to train instead of the method's CPU-sized CIFAR-10 config (one method).
    config: { type: 'string' },
  },
});
const here = fileURLToPath(new URL('.', import.meta.url));
const configs = join(here, '../packages/selfsup/configs');
const selfsup = await import('../packages/selfsup/dist/src/index.js');

/**
 * The CPU-sized CIFAR-10 config of a method: `configs/<method>/*_cifar10.ts`, the ¼-width ResNet-18
 * one where there are several (MoCo v3 has a ViT one too), else the only one (the ViTs of the MIM family).
 */
function configOf(method) {
  const dir = join(configs, method);
  const files = readdirSync(dir).filter((n) => n.endsWith('_cifar10.ts'));
  const f = files.find((n) => n.includes('resnet18-w025')) ?? (files.length === 1 ? files[0] : undefined);
  if (!f) throw new Error(`no single CPU-sized CIFAR-10 config for ${method} in ${dir} (${files.join(', ') || 'none'})`);
  return join(dir, f);
}

// The hold-out split as a dataset type, from a module of its own so that loader worker threads load it too.
process.env.QUALITY_ROOT ??= values.root ?? '';
process.env.QUALITY_CACHE ??= values.cache;
process.env.QUALITY_EVAL_PER_CLASS ??= values['eval-per-class'];
if (values.root) {
  const { importUserModules } = await import('../packages/selfsup/dist/src/core/user-modules.js');
  await importUserModules([join(here, 'quality-data.mjs')]);
}
const split = (part) => ({ type: 'CIFAR10HeldOut', root: join(values.root, 'cifar10', 'train'), part });

/** kNN + linear probe of the named encoders on the held-out split. */
async function evaluate(encoders) {
  const { buildDataset } = await import('../packages/selfsup/dist/src/engine/build-data.js');
  const { DataLoader } = await import('../packages/selfsup/dist/src/data/loader/loader.js');
  const { frozenBenchmark } = await import('../packages/selfsup/dist/src/evaluation/benchmark.js');
  const loader = (cfg) => new DataLoader(buildDataset(cfg, 'bench').dataset, { batchSize: 512, shuffle: false });
  return frozenBenchmark(encoders, loader(split('eval')), loader(split('val')), {
    knn: { k: [200], temperature: 0.1 },
    linear: { epochs: 100, batchSize: 256, lr: 0.1, norm: 'batchnorm' },
    onStage: (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`),
  });
}

if (values.child) {
  // One method in its own process, so that peak RSS is its own.
  const torch = await import('../packages/torch/dist/src/index.js');
  const { Runner } = selfsup;
  const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
  const { modelEncoder } = await import('../packages/selfsup/dist/src/engine/model-source.js');
  const { pixelEncoder } = await import('../packages/selfsup/dist/src/evaluation/features.js');
  const method = values.child;
  const out = { method, threads: torch.getNumThreads() };
  if (method === 'baselines') {
    const cfg = prepareConfig(configOf(values['baseline-method']));
    torch.manualSeed(0);
    const model = selfsup.ALGORITHMS.build(cfg.model, 'model');
    const r = await evaluate({ random: modelEncoder(model), pixels: pixelEncoder(model.normalization) });
    Object.assign(out, { results: r });
  } else {
    const { applyCfgOptions } = await import('../packages/selfsup/dist/src/engine/config/options.js');
    const configPath = values.config ?? configOf(method);
    const recipe = applyCfgOptions(prepareConfig(configPath), values['cfg-options']);
    // As `selfsup train` names a run: what `selfsup zoo add` records as the entry's config.
    recipe.expName ??= basename(configPath, extname(configPath));
    recipe.trainDataloader.dataset = { ...split('train'), pipeline: recipe.trainDataloader.dataset.pipeline };
    // Clustering hooks (DeepCluster, ODC) extract features of the training images: the same split.
    for (const h of recipe.customHooks ?? [])
      if (h.extractDataloader) h.extractDataloader = { ...h.extractDataloader, dataset: split('train') };
    recipe.knnMonitor = null;
    recipe.customHooks = [...(recipe.customHooks ?? []), ...values.hook.map((h) => JSON.parse(h))];
    // The 100-epoch recipe fitted into the budget (warm-up and cosine decay scaled to the number of
    // iterations the method manages here, timed first), with the time limit as the hard stop.
    const seconds = Number(values.minutes) * 60;
    let fit;
    if (values.iters) {
      const maxIters = Number(values.iters);
      // Only for the report: an iteration budget does not depend on the speed, so a short probe.
      const speed = await selfsup.measureIterSeconds(recipe, { iters: 12, warmup: 4 });
      fit = { ...speed, cfg: selfsup.fitSchedule(recipe, maxIters, speed.itersPerEpoch), maxIters };
    } else {
      fit = await selfsup.fitToSeconds(recipe, seconds);
      fit.cfg.customHooks = [
        ...(fit.cfg.customHooks ?? []),
        { type: 'TimeBudgetHook', seconds: seconds * Number(values['hard-stop']) },
      ];
    }
    const cfg = fit.cfg;
    console.error(
      `${method}: ${fit.secondsPerIter.toFixed(3)} s/iter${selfsup.describeSizeSeconds(fit)}${selfsup.describeHookSeconds(fit)} → ${fit.maxIters} iterations (${(fit.maxIters / fit.itersPerEpoch).toFixed(2)} epochs)`,
    );
    const runner = new Runner(cfg, { workDir: join(values['work-dir'], method), quiet: true });
    // The work dir is then one `selfsup zoo add` takes: the fitted config as `selfsup train` saves
    // it, and the evaluation as `selfsup eval knn|linear --json` prints it.
    writeFileSync(join(runner.workDir, 'config.json'), `${JSON.stringify({ ...cfg, workDir: runner.workDir }, null, 2)}\n`);
    const trained = await runner.train();
    const r = await evaluate({ ssl: modelEncoder(runner.model) });
    const protocol = { train: split('eval'), test: split('val') };
    for (const task of ['knn', 'linear'])
      writeFileSync(
        join(runner.workDir, `eval_${task}.json`),
        `${JSON.stringify({ task, ...protocol, results: { ssl: { featureDim: r.ssl.featureDim, [task]: r.ssl[task] } } })}\n`,
      );
    // The logged loss over the first and the last tenth of training: does it fall?
    const losses = readFileSync(join(runner.workDir, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l))
      .filter((rec) => typeof rec.loss === 'number')
      .map((rec) => rec.loss);
    const tenth = Math.max(1, Math.floor(losses.length / 10));
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    Object.assign(out, {
      lossFirst: losses.length ? mean(losses.slice(0, tenth)) : null,
      lossLast: losses.length ? mean(losses.slice(-tenth)) : null,
      iters: trained.iters,
      fittedIters: fit.maxIters,
      epochs: trained.iters / fit.itersPerEpoch,
      trainSeconds: trained.seconds,
      imagesSeen: trained.iters * cfg.trainDataloader.batchSize,
      results: r,
    });
  }
  out.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(out));
  process.exit(0);
}

if (!values.root) throw new Error('--root DIR is required (CIFAR-10 extracted: DIR/cifar10/train/<class>/*.jpg)');
const rows = [];
const methods = [...values.methods.split(','), ...(values['no-baselines'] ? [] : ['baselines'])];
if (values.config && values.methods.split(',').length !== 1)
  throw new Error('--config trains one method: name it with --methods');
for (const m of methods) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--child', m], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) {
    console.error(`${m}: failed (exit ${r.status})`);
    continue;
  }
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  res.wallSeconds = (Date.now() - t0) / 1000;
  rows.push(res);
  const fmt = (name, x) =>
    `${name.padEnd(12)} kNN ${x.knn[200].top1.toFixed(2).padStart(6)}%  linear ${x.linear.top1.toFixed(2).padStart(6)}%`;
  for (const [name, x] of Object.entries(res.results))
    console.log(
      `${fmt(name === 'ssl' ? m : name, x)}  ${res.iters !== undefined ? `${res.iters} iters (${res.epochs.toFixed(2)} epochs), ${res.imagesSeen} images, loss ${res.lossFirst?.toFixed(4)} → ${res.lossLast?.toFixed(4)}, ` : ''}peak RSS ${res.peakRssMiB.toFixed(0)} MiB, ${res.wallSeconds.toFixed(0)} s`,
    );
}
console.log(JSON.stringify(rows));
