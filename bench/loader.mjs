#!/usr/bin/env node
// The SimCLR two-view pipeline: selfsup's DataLoader vs torchvision + PIL with torch's DataLoader,
// on the same images and cores, side by side; images/s and the ratio (selfsup / torchvision).
//   node bench/loader.mjs --root DIR [--size 32] [--n 5000] [--workers 2] [--batch 256] [--runs 3] [--cache DIR]
// DIR is an ImageFolder, e.g. CIFAR-10 extracted from ../shared/data/cifar10-train.tar.gz.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './common.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    size: { type: 'string', default: '32' },
    n: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '2' },
    batch: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    cache: { type: 'string' },
  },
});
if (!values.root) throw new Error('--root DIR is required (an ImageFolder, e.g. extracted CIFAR-10)');
const torch = await import('../packages/torch/dist/src/index.js');
const { ImageFolder } = await import('../packages/selfsup/dist/src/data/datasets/image-folder.js');
const { DataLoader } = await import('../packages/selfsup/dist/src/data/loader/loader.js');
const { MultiView, simclrPipeline } = await import('../packages/selfsup/dist/src/data/transforms/pipelines.js');
const { RandomSampler } = await import('../packages/selfsup/dist/src/data/loader/samplers.js');
const { takeSamples } = await import('../packages/selfsup/dist/src/data/datasets/subset.js');
const { CachedDataset } = await import('../packages/selfsup/dist/src/data/datasets/cache.js');

const n = Number(values.n);
const size = Number(values.size);
const batch = Number(values.batch);
const workers = Number(values.workers);
torch.setNumThreads(workers);
const ds = await ImageFolder.open(values.root);
// --cache DIR: selfsup decodes once into a uint8 cache (built before timing), torchvision decodes every epoch.
const subset = values.cache ? takeSamples(await CachedDataset.open(ds, values.cache), n) : takeSamples(ds, n);

async function ours() {
  const loader = new DataLoader(subset, {
    batchSize: batch,
    dropLast: true,
    sampler: new RandomSampler(n, 0),
    views: new MultiView([simclrPipeline(size)], 2),
  });
  const t = performance.now();
  let seen = 0;
  for await (const b of loader) {
    seen += b.views[0].shape[0];
    b.dispose();
  }
  return seen / ((performance.now() - t) / 1000);
}

function theirs() {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(
    py,
    [
      join(dirname(fileURLToPath(import.meta.url)), 'loader.py'),
      values.root,
      String(size),
      String(n),
      String(workers),
      String(batch),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()).images_per_s;
}

const a = [];
const b = [];
for (let i = 0; i < Number(values.runs); i++) {
  a.push(await ours());
  b.push(theirs());
}
console.log(
  `SimCLR 2-view pipeline, ${size} px, ${n} images, batch ${batch}, ${workers} workers/threads, medians of ${values.runs} runs${values.cache ? ', selfsup from its decoded cache' : ''}`,
);
console.log('selfsup img/s'.padStart(14), 'torchvision img/s'.padStart(18), 'ratio'.padStart(7));
console.log(median(a).toFixed(0).padStart(14), median(b).toFixed(0).padStart(18), (median(a) / median(b)).toFixed(2).padStart(7));
