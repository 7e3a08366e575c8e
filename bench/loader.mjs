#!/usr/bin/env node
// The SimCLR two-view pipeline: selfsup's DataLoader vs torchvision + PIL with torch's DataLoader,
// on the same images and cores, side by side; images/s and the ratio (selfsup / torchvision).
//   node bench/loader.mjs --root DIR [--size 32] [--n 5000] [--workers 2] [--batch 256] [--runs 3]
//                         [--cache DIR] [--threads 1] [--backend tensor|pillow]
// DIR is an ImageFolder, e.g. CIFAR-10 extracted from ../shared/data/cifar10-train.tar.gz.
// Both sides run one untimed warm-up epoch (worker start-up, JIT, page cache), then `--runs` timed
// epochs with the same workers: what a training run sees after its first batches.
// --workers N: selfsup decodes and augments in N worker threads (0: on the main thread),
// torchvision in N worker processes. --threads: libtorch intra-op threads of selfsup's main thread.
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
    threads: { type: 'string', default: '1' },
    // The transforms' backend: 'tensor' (torchvision's results on tensors) or 'pillow' (every step
    // with Pillow's arithmetic: torchvision's results on PIL images, and PIL's GaussianBlur as
    // MMSelfSup blurs; the torchvision side then blurs with PIL too).
    backend: { type: 'string', default: 'tensor' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  // The usage is this file's opening comment.
  const { readFileSync } = await import('node:fs');
  const head = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\n')
    .slice(1);
  console.log(
    head
      .slice(
        0,
        head.findIndex((l) => !l.startsWith('//')),
      )
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
if (!values.root) throw new Error('--root DIR is required (an ImageFolder, e.g. extracted CIFAR-10)');
const torch = await import('../packages/torch/dist/src/index.js');
const { DataLoader } = await import('../packages/selfsup/dist/src/data/loader/loader.js');
const { buildViews } = await import('../packages/selfsup/dist/src/data/register.js');
const { openDataset } = await import('../packages/selfsup/dist/src/data/open.js');
const { RandomSampler } = await import('../packages/selfsup/dist/src/data/loader/samplers.js');

const n = Number(values.n);
const size = Number(values.size);
const batch = Number(values.batch);
const workers = Number(values.workers);
const runs = Number(values.runs);
torch.setNumThreads(Number(values.threads));

// MMSelfSup's SimCLR view (configs/selfsup/_base_/datasets/imagenet_simclr.py) at `size`.
const pillow = values.backend === 'pillow' ? { backend: 'pillow' } : {};
const view = [
  { type: 'RandomResizedCrop', size, scale: [0.08, 1], backend: values.backend },
  { type: 'RandomFlip', prob: 0.5 },
  {
    type: 'RandomApply',
    transforms: [{ type: 'ColorJitter', brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, ...pillow }],
    prob: 0.8,
  },
  { type: 'RandomGrayscale', prob: 0.2, ...pillow },
  { type: 'RandomGaussianBlur', sigmaMin: 0.1, sigmaMax: 2, prob: 0.5, ...pillow },
];
const views = { type: 'MultiView', numViews: [2], transforms: [view] };
// --cache DIR: selfsup decodes once into a uint8 cache (built before timing), torchvision decodes every epoch.
const spec = { path: values.root, numSamples: n, cacheDir: values.cache };
const ds = await openDataset(spec);

async function ours() {
  const loader = new DataLoader(ds, {
    batchSize: batch,
    dropLast: true,
    sampler: new RandomSampler(n, 0),
    prefetch: Math.max(2, 2 * workers),
    ...(workers > 0 ? { workers: { count: workers, dataset: spec, views } } : { views: buildViews(views) }),
  });
  const rates = [];
  for (let epoch = 0; epoch <= runs; epoch++) {
    loader.setEpoch(epoch);
    const t = performance.now();
    let seen = 0;
    for await (const b of loader) {
      seen += b.views[0].shape[0];
      b.dispose();
    }
    if (epoch > 0) rates.push(seen / ((performance.now() - t) / 1000));
  }
  await loader.close();
  return rates;
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
      String(runs),
      values.backend,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()).images_per_s;
}

// Alternate the two sides so slow phases of a shared machine hit both.
const a = await ours();
const b = theirs();
const a2 = await ours();
const b2 = theirs();
const oursAll = [...a, ...a2];
const theirsAll = [...b, ...b2];
console.log(
  `SimCLR 2-view pipeline, ${size} px, ${n} images, batch ${batch}, ${workers} workers, medians of ${oursAll.length} epochs each${values.cache ? ', selfsup from its decoded cache' : ''}${values.backend === 'pillow' ? ", backend 'pillow' (PIL's GaussianBlur on both sides)" : ''}`,
);
console.log('selfsup img/s'.padStart(14), 'torchvision img/s'.padStart(18), 'ratio'.padStart(7));
console.log(
  median(oursAll).toFixed(0).padStart(14),
  median(theirsAll).toFixed(0).padStart(18),
  (median(oursAll) / median(theirsAll)).toFixed(2).padStart(7),
);
