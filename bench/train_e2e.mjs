#!/usr/bin/env node
// End-to-end training speed (issue 18): `selfsup train` of the bundled CIFAR-10 SimCLR / BYOL /
// Barlow Twins recipes (¼-width ResNet-18, CIFAR stem, batch 256 unless --cfg-options say
// otherwise, 32 px, two views) against bench/train_e2e.py, the same recipe in Python PyTorch at its
// best (channels_last, the glibc malloc settings selfsup's addon applies, torchvision transforms in a
// DataLoader with each worker count of --py-workers; the best count is Python's number). Also selfsup's model-only step (fixed uint8
// batch, no data pipeline, no runner) of the same model: how close the whole loop gets to it.
// Images/s over iterations (skip, iters]; peak PSS (proportional set size) of the process tree,
// sampled every second, so Python's worker processes count with their share. Sides alternate
// within each run; medians over --runs.
//   node bench/train_e2e.mjs --data DIR [--methods simclr,byol,barlowtwins] [--iters 60] [--skip 10]
//     [--runs 3] [--threads 2] [--py-workers 0,2] [--cfg-options k=v ...]
// DIR holds cifar-10-batches-bin (made from the JPEG folder with bench/cifar_bin.py if
// --jpeg-root DIR/<class>/*.jpg is given).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MALLOC_ENV, median } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    'jpeg-root': { type: 'string' },
    methods: { type: 'string', default: 'simclr,byol,barlowtwins' },
    iters: { type: 'string', default: '60' },
    skip: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'py-workers': { type: 'string', default: '0,2' },
    'cfg-options': { type: 'string', multiple: true, default: [] },
    // Extra selfsup rows: NAME:key=value[,key=value…], e.g. idle:trainDataloader.workerPriority=idle.
    variant: { type: 'string', multiple: true, default: [] },
    child: { type: 'string' },
  },
});
const iters = Number(values.iters);
const skip = Number(values.skip);
// The log (interval = skip) must have records at iterations skip and iters.
if (!(Number.isInteger(skip) && skip >= 1 && skip < iters && iters % skip === 0))
  throw new Error(`--skip must be a positive divisor of --iters below it (got --skip ${skip}, --iters ${iters})`);
const threads = values.threads;
const configName = (m) => `${m}_resnet18-w025_1xb256-coslr-100e_cifar10`;

/** The bundled config file of a method. */
function configFile(method) {
  const dir = join(here, '../packages/selfsup/configs', method);
  const f = readdirSync(dir).find((n) => n.startsWith(`${configName(method)}.`));
  if (!f) throw new Error(`no config ${configName(method)} in ${dir}`);
  return join(dir, f);
}

if (values.child) {
  // selfsup's model-only step: the recipe's algorithm and optimizer on one fixed batch.
  const torch = await import('../packages/torch/dist/src/index.js');
  const selfsup = await import('../packages/selfsup/dist/src/index.js');
  const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
  const { applyCfgOptions } = await import('../packages/selfsup/dist/src/engine/config/options.js');
  const { buildOptimWrapper } = await import('../packages/selfsup/dist/src/engine/optim-builder.js');
  const { useChannelsLast, toChannelsLast } = await import('../packages/selfsup/dist/src/engine/memory-format.js');
  torch.setNumThreads(Number(threads));
  const cfg = applyCfgOptions(prepareConfig(configFile(values.child)), values['cfg-options']);
  torch.manualSeed(0);
  const model = selfsup.ALGORITHMS.build(cfg.model, 'model');
  model.setDatasetLength(50000);
  const cl = useChannelsLast(cfg.memoryFormat ?? 'auto', model, 'cpu');
  if (cl) model.to({ memoryFormat: 'channelsLast' });
  const ow = buildOptimWrapper(cfg.optimWrapper, model);
  const bs = cfg.trainDataloader.batchSize;
  // The recipe's lr/momentum schedule, stepped as the runner steps it: without its warm-up the
  // first iterations run at the full lr, which on this fixed random batch drives the network
  // into denormal and non-finite values that slow every kernel (and the number with them).
  const { PARAM_SCHEDULERS } = await import('../packages/selfsup/dist/src/engine/registries.js');
  const epochLength = Math.floor(50000 / bs);
  const schedulers = new torch.optim.ParamSchedulerList(
    (cfg.paramScheduler ?? []).map((c, i) => PARAM_SCHEDULERS.build(c, `paramScheduler.${i}`)(ow, { epochLength })),
  );
  let lastLoss = Number.NaN;
  const views = [0, 1].map(() => torch.keep(torch.randint(0, 256, [bs, 3, 32, 32], { dtype: 'uint8' })));
  const idx = torch.keep(torch.arange(0, bs, 1, { dtype: 'int64' }));
  const progress = { epoch: 0, iter: 0, maxEpochs: 100, maxIters: 19500 };
  let t0 = 0;
  for (let i = 0; i < iters; i++) {
    if (i === skip) t0 = performance.now();
    model.train();
    torch.tidy(() => {
      const input = { views: cl ? views.map(toChannelsLast) : views, idx, labels: null };
      const out = ow.optimContext(() => model.forward(input, { ...progress, iter: i }));
      lastLoss = out.loss.item();
      ow.backward(out.loss);
      ow.step();
      ow.zeroGrad();
    });
    schedulers.stepIter();
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ imgsPerSec: ((iters - skip) * bs) / seconds, channelsLast: cl, lastLoss }));
  process.exit(0);
}

if (!values.data) throw new Error('--data DIR is required (it holds or receives cifar-10-batches-bin)');
if (!existsSync(join(values.data, 'cifar-10-batches-bin'))) {
  if (!values['jpeg-root']) throw new Error(`${values.data}/cifar-10-batches-bin is missing: give --jpeg-root to make it`);
  await run('/usr/bin/python3', [join(here, 'cifar_bin.py'), values['jpeg-root'], values.data]);
}

/** Peak PSS (MiB) of `pid` and its descendants right now. */
function treePssMiB(pid) {
  let kb = 0;
  const visit = (p) => {
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
      for (const t of readdirSync(`/proc/${p}/task`))
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean)) visit(c);
    } catch {
      // The process exited between listing and reading.
    }
  };
  visit(pid);
  return kb / 1024;
}

/** Runs a command; resolves with its stdout and the peak PSS of its process tree. */
function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peak = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, treePssMiB(child.pid));
    }, 1000);
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err.slice(-3000)}`));
      else resolve({ out, peak });
    });
  });
}

/** `selfsup train` for `iters` iterations; images/s from the log's wall-clock times at iterations skip and iters. */
async function selfsupE2e(method, extra = []) {
  const work = mkdtempSync(join(tmpdir(), 'train-e2e-'));
  try {
    const opts = [
      `trainDataloader.dataset.root=${values.data}`,
      `trainCfg={"type":"IterBasedTrainLoop","maxIters":${iters}}`,
      'knnMonitor=null',
      `defaultHooks.logger.interval=${skip}`,
      `defaultHooks.checkpoint.interval=${iters}`,
      ...values['cfg-options'],
      ...extra,
    ];
    const { peak } = await run(
      process.execPath,
      [
        join(here, '../packages/selfsup/bin/selfsup.js'),
        'train',
        configFile(method),
        '--work-dir',
        work,
        '--quiet',
        '--cfg-options',
        ...opts,
      ],
      { OMP_NUM_THREADS: threads },
    );
    const recs = readFileSync(join(work, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((r) => r.mode === 'train');
    const at = (i) => recs.find((r) => r.iter === i)?.time;
    const bs = JSON.parse(readFileSync(join(work, 'config.json'), 'utf8')).trainDataloader.batchSize;
    return { imgsPerSec: ((iters - skip) * bs) / (at(iters) - at(skip)), peak, batch: bs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function selfsupModel(method) {
  const { out } = await run(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--child', method]);
  return JSON.parse(out.trim().split('\n').pop());
}

async function python(method, workers, batch) {
  const { out, peak } = await run(
    '/usr/bin/python3',
    [
      join(here, 'train_e2e.py'),
      '--method',
      method,
      '--data',
      values.data,
      '--iters',
      String(iters),
      '--skip',
      String(skip),
      '--workers',
      String(workers),
      '--threads',
      threads,
      '--batch',
      String(batch),
      '--channels-last',
    ],
    MALLOC_ENV,
  );
  return { ...JSON.parse(out.trim().split('\n').pop()), peak };
}

const pyWorkers = values['py-workers'].split(',').map(Number);
const variants = values.variant.map((v) => {
  const at = v.indexOf(':');
  return { name: v.slice(0, at), opts: v.slice(at + 1).split(',') };
});
const methods = values.methods.split(',');
const rows = [];
for (const method of methods) {
  const r = {
    method,
    variants: Object.fromEntries(variants.map((v) => [v.name, []])),
    e2e: [],
    model: [],
    py: Object.fromEntries(pyWorkers.map((w) => [w, []])),
    e2ePeak: [],
    pyPeak: {},
  };
  for (let k = 0; k < Number(values.runs); k++) {
    const e = await selfsupE2e(method);
    r.e2e.push(e.imgsPerSec);
    r.e2ePeak.push(e.peak);
    r.batch = e.batch;
    for (const v of variants) r.variants[v.name].push((await selfsupE2e(method, v.opts)).imgsPerSec);
    for (const w of pyWorkers) {
      // The batch selfsup trained with (the recipe's, or --cfg-options'), so both sides do the same work.
      const p = await python(method, w, e.batch);
      r.py[w].push(p.imgs_per_sec);
      (r.pyPeak[w] ??= []).push(p.peak);
    }
    const m = await selfsupModel(method);
    r.model.push(m.imgsPerSec);
    console.error(
      `${method} run ${k + 1}: selfsup ${r.e2e.at(-1).toFixed(1)} img/s (model-only ${m.imgsPerSec.toFixed(1)}, its last loss ${m.lastLoss}), ` +
        [
          ...variants.map((v) => `selfsup ${v.name} ${r.variants[v.name].at(-1).toFixed(1)}`),
          ...pyWorkers.map((w) => `python ${w} workers ${r.py[w].at(-1).toFixed(1)}`),
        ].join(', '),
    );
  }
  rows.push(r);
}

console.log(
  `${threads} thread(s), batch ${rows[0]?.batch ?? '?'}, 32 px, 2 views, iterations ${skip + 1}–${iters} timed, medians of ${values.runs} runs (alternating)`,
);
console.log('method        selfsup img/s  model-only  e2e/model  python best (workers)  selfsup/python  selfsup PSS  python PSS');
for (const r of rows) {
  const e2e = median(r.e2e);
  const model = median(r.model);
  const [bestW, best] = pyWorkers.map((w) => [w, median(r.py[w])]).sort((a, b) => b[1] - a[1])[0];
  console.log(
    `${r.method.padEnd(12)} ${e2e.toFixed(1).padStart(14)} ${model.toFixed(1).padStart(11)} ${(e2e / model).toFixed(2).padStart(10)}` +
      `${`${best.toFixed(1)} (${bestW})`.padStart(23)} ${(e2e / best).toFixed(2).padStart(15)}` +
      `${median(r.e2ePeak).toFixed(0).padStart(10)} MiB${median(r.pyPeak[bestW]).toFixed(0).padStart(8)} MiB`,
  );
  for (const v of variants) console.log(`  selfsup with ${v.opts.join(' ')}: ${median(r.variants[v.name]).toFixed(1)} img/s`);
}
console.log(JSON.stringify(rows));
