#!/usr/bin/env node
// Memory under a long run: --iters iterations (default 3,000) of the CPU-sized SimCLR config
// (ResNet-18 at ¼ width on Fashion-MNIST, two views) at a small batch, through the real Runner
// with its logger (log.jsonl, TensorBoard), checkpoint and schedule hooks. Every --every
// iterations it samples the process RSS and libtorch's live tensor count; after --warmup
// iterations it fits a least-squares slope and prints MB (and tensors) per 1,000 iterations.
// RSS is noisy on a shared machine; the live-tensor count is exact (any growth there is a leak).
//   node bench/soak.mjs [--iters 3000] [--batch 16] [--images N] [--every 100] [--warmup 500] [--threads 2] [--json]
//                       [--heap-diff]
// (each sample follows a full GC, so JS-heap churn does not show up as RSS steps).
// --heap-diff takes a V8 heap snapshot after warm-up and another at the end and prints the object
// groups (constructor or string/closure name) whose count or size grew most in between: the way to
// find what a JS-heap slope is made of.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    'heap-diff': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'node bench/soak.mjs [--iters 3000] [--batch 16] [--images N] [--every 100] [--warmup 500] [--threads 2] [--json] [--heap-diff]',
  );
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
  const c = torch.nativeHeap();
  samples.push({
    iter,
    rssMB: u.rss / 2 ** 20,
    heapMB: u.heapUsed / 2 ** 20,
    // Buffers and typed arrays outside the JS heap (log lines, TensorBoard records, image bytes).
    externalMB: u.external / 2 ** 20,
    liveTensors: m.liveTensors,
    tensorMB: m.liveBytes / 2 ** 20,
    // glibc's own books (all arenas): `inUse` growing is a native leak; `held` growing with a flat
    // `inUse` is freed memory the allocator keeps.
    mallocInUseMB: c.available ? c.inUse / 2 ** 20 : Number.NaN,
    mallocHeldMB: c.available ? c.held / 2 ** 20 : Number.NaN,
    // Per V8 space: a heap slope made of code space (JIT output) is not a leak of objects.
    spacesMB: Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_used_size / 2 ** 20])),
  });
};
/**
 * Count and self size per object group in a V8 heap snapshot, after a full GC. A group is the
 * node type plus its name (the constructor for objects, the function name for closures, the first
 * 60 characters for strings).
 */
async function heapGroups() {
  gc();
  let text = '';
  for await (const chunk of v8.getHeapSnapshot()) text += chunk;
  const snap = JSON.parse(text);
  text = '';
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = String(snap.strings[snap.nodes[i + iName]])
      .slice(0, 60)
      .replace(/\s+/g, ' ');
    const key = `${type}: ${name}`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + iSize];
    groups.set(key, g);
  }
  return groups;
}
// The first snapshot's groups go to a file, not a live Map: held in the heap, they would show up
// as growth in the second snapshot.
const heapBeforeFile = join(tmpdir(), `selfsup-soak-heap-${process.pid}.json`);
let heapBeforeTaken = false;
if (values['heap-diff'] && warmup > 0) {
  runner.hooks.push({
    priority: 100,
    async afterTrainIter(r) {
      if (r.progress.iter + 1 !== warmup) return;
      writeFileSync(heapBeforeFile, JSON.stringify([...(await heapGroups())]));
      heapBeforeTaken = true;
    },
  });
}
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
          `live tensors ${s.liveTensors} (${s.tensorMB.toFixed(1)} MB)  malloc in use ${s.mallocInUseMB.toFixed(1)} / held ${s.mallocHeldMB.toFixed(1)} MB  ` +
          `${rate.toFixed(1)} it/s\n`,
      );
    }
  },
});
await runner.train();
rmSync(workDir, { recursive: true, force: true });
if (heapBeforeTaken) {
  const heapAfter = await heapGroups();
  const heapBefore = new Map(JSON.parse(readFileSync(heapBeforeFile, 'utf8')));
  rmSync(heapBeforeFile, { force: true });
  const rows = [];
  for (const [key, a] of heapAfter) {
    const b = heapBefore.get(key) ?? { count: 0, bytes: 0 };
    if (a.bytes !== b.bytes || a.count !== b.count) rows.push({ key, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  for (const [key, b] of heapBefore) if (!heapAfter.has(key)) rows.push({ key, count: -b.count, bytes: -b.bytes });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((t, r) => t + r.bytes, 0);
  process.stderr.write(`JS heap groups, iteration ${warmup} → ${iters} (net ${(total / 1024).toFixed(1)} KiB):\n`);
  for (const r of [...rows.slice(0, 25), ...rows.slice(-5)])
    process.stderr.write(`  ${String(r.bytes).padStart(9)} B  ${String(r.count).padStart(6)}  ${r.key}\n`);
}

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
  mallocInUseMBPer1000: slope(after, 'mallocInUseMB') * 1000,
  mallocHeldMBPer1000: slope(after, 'mallocHeldMB') * 1000,
  /** Net RSS change from the first sample after warm-up to the last, per 1,000 iterations. */
  rssNetMBPer1000: after.length > 1 ? ((after.at(-1).rssMB - after[0].rssMB) / (after.at(-1).iter - after[0].iter)) * 1000 : 0,
  liveTensorsPer1000: slope(after, 'liveTensors') * 1000,
  spaceMBPer1000: Object.fromEntries(
    Object.keys(after[0]?.spacesMB ?? {}).map((name) => [
      name,
      slope(
        after.map((s) => ({ iter: s.iter, v: s.spacesMB[name] })),
        'v',
      ) * 1000,
    ]),
  ),
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
      `malloc in use ${result.mallocInUseMBPer1000.toFixed(2)} / held ${result.mallocHeldMBPer1000.toFixed(2)} MB / 1,000 it, ` +
      `live tensors ${result.liveTensorsPer1000.toFixed(2)} / 1,000 it (${result.liveTensorsFirst} → ${result.liveTensorsLast})`,
  );
  console.log(
    `JS heap by V8 space, MB / 1,000 it: ${Object.entries(result.spaceMBPer1000)
      .filter(([, v]) => Math.abs(v) >= 0.005)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ')}`,
  );
}
