#!/usr/bin/env node
// Memory under a long run: --iters iterations (default 3,000) of the CPU-sized SimCLR config
// (ResNet-18 at ¼ width on Fashion-MNIST, two views) at a small batch, through the real Runner
// with its logger (log.jsonl, TensorBoard), checkpoint and schedule hooks. Every --every
// iterations it samples the process RSS and libtorch's live tensor count; after --warmup
// iterations it fits a least-squares slope and prints MB (and tensors) per 1,000 iterations.
// RSS is noisy on a shared machine; the live-tensor count is exact (any growth there is a leak).
//   node bench/soak.mjs [--iters 3000] [--batch 16] [--images N] [--every 100] [--warmup 500] [--threads 2] [--json]
// (each sample follows a full GC, so JS-heap churn does not show up as RSS steps).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    iters: { type: 'string', default: '3000' },
    batch: { type: 'string', default: '16' },
    images: { type: 'string' },
    every: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '500' },
    threads: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('node bench/soak.mjs [--iters 3000] [--batch 16] [--images N] [--every 100] [--warmup 500] [--threads 2] [--json]');
  process.exit(0);
}

// A full collection before each sample: without it, RSS jumps by tens of MB whenever V8 happens to
// shrink its heap, which swamps a slope of ~1 MB per 1,000 iterations.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const iters = Number(values.iters);
const every = Number(values.every);
const warmup = Math.min(Number(values.warmup), Math.floor(iters / 2));
const dist = join(here, '../packages/selfsup/dist/src');
// The torch the selfsup package resolves (one native addon, one live-tensor count).
const torch = await import('@selfsup/torch');
const { loadConfig } = await import(`${dist}/engine/config/load.js`);
const { validateConfig } = await import(`${dist}/engine/config/config.js`);
const { Runner } = await import(`${dist}/engine/runner.js`);

torch.setNumThreads(Number(values.threads));
const raw = loadConfig(join(here, '../packages/selfsup/configs/simclr/simclr_resnet18-w025_1xb128-coslr-3e_fashion-mnist.ts'));
raw.trainDataloader.batchSize = Number(values.batch);
// --images N trains on the first N images: short epochs put the epoch-end path (loader restart,
// epoch hooks, log flushes) in the loop too.
if (values.images) raw.trainDataloader.dataset.numSamples = Number(values.images);
raw.trainCfg = { type: 'IterBasedTrainLoop', maxIters: iters };
raw.paramScheduler = [
  { type: 'LinearLR', startFactor: 0.1, byEpoch: false, begin: 0, end: 50 },
  { type: 'CosineAnnealingLR', byEpoch: false, begin: 0, end: iters },
];
// Checkpoints every 1,000 iterations keep the save path in the loop without dominating the time.
raw.defaultHooks = { logger: { interval: 20 }, checkpoint: { interval: 1000, maxKeepCkpts: 1 } };
delete raw.knnMonitor;
const cfg = validateConfig(raw);

const workDir = mkdtempSync(join(tmpdir(), 'selfsup-soak-'));
const runner = new Runner(cfg, { workDir, quiet: true });
const samples = [];
const sample = (iter) => {
  gc();
  const m = torch.memory();
  const u = process.memoryUsage();
  samples.push({
    iter,
    rssMB: u.rss / 2 ** 20,
    heapMB: u.heapUsed / 2 ** 20,
    // Buffers and typed arrays outside the JS heap (log lines, TensorBoard records, image bytes).
    externalMB: u.external / 2 ** 20,
    liveTensors: m.liveTensors,
    tensorMB: m.liveBytes / 2 ** 20,
  });
};
sample(0);
const t0 = performance.now();
runner.hooks.push({
  priority: 100,
  afterTrainIter(r) {
    const done = r.progress.iter + 1;
    if (done % every !== 0) return;
    sample(done);
    if (!values.json) {
      const s = samples.at(-1);
      const rate = done / ((performance.now() - t0) / 1000);
      process.stderr.write(
        `iter ${done}: rss ${s.rssMB.toFixed(1)} MB  heap ${s.heapMB.toFixed(1)} MB  external ${s.externalMB.toFixed(1)} MB  ` +
          `live tensors ${s.liveTensors} (${s.tensorMB.toFixed(1)} MB)  ${rate.toFixed(1)} it/s\n`,
      );
    }
  },
});
await runner.train();
rmSync(workDir, { recursive: true, force: true });

/** Least-squares slope of y over x. */
function slope(points, key) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.iter, 0) / n;
  const my = points.reduce((a, p) => a + p[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.iter - mx) * (p[key] - my);
    den += (p.iter - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}
const after = samples.filter((s) => s.iter >= warmup);
const result = {
  iters,
  batch: Number(values.batch),
  itersPerEpoch: runner.itersPerEpoch,
  warmup,
  seconds: (performance.now() - t0) / 1000,
  rssMBPer1000: slope(after, 'rssMB') * 1000,
  heapMBPer1000: slope(after, 'heapMB') * 1000,
  externalMBPer1000: slope(after, 'externalMB') * 1000,
  tensorMBPer1000: slope(after, 'tensorMB') * 1000,
  /** Net RSS change from the first sample after warm-up to the last, per 1,000 iterations. */
  rssNetMBPer1000: after.length > 1 ? ((after.at(-1).rssMB - after[0].rssMB) / (after.at(-1).iter - after[0].iter)) * 1000 : 0,
  liveTensorsPer1000: slope(after, 'liveTensors') * 1000,
  liveTensorsFirst: after[0]?.liveTensors,
  liveTensorsLast: after.at(-1)?.liveTensors,
  rssMBLast: after.at(-1)?.rssMB,
  samples,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${iters} iterations (batch ${result.batch}, ${result.itersPerEpoch} per epoch) in ${result.seconds.toFixed(0)} s; after iteration ${warmup}: ` +
      `RSS ${result.rssMBPer1000.toFixed(2)} MB / 1,000 it (net ${result.rssNetMBPer1000.toFixed(2)}), JS heap ${result.heapMBPer1000.toFixed(2)} MB / 1,000 it, external ${result.externalMBPer1000.toFixed(2)} MB / 1,000 it, ` +
      `tensor bytes ${result.tensorMBPer1000.toFixed(2)} MB / 1,000 it, ` +
      `live tensors ${result.liveTensorsPer1000.toFixed(2)} / 1,000 it (${result.liveTensorsFirst} → ${result.liveTensorsLast})`,
  );
}
