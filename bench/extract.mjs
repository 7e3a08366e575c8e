#!/usr/bin/env node
// Feature extraction (what kNN, the linear probe, t-SNE and `selfsup extract` spend their time on):
// a ResNet's (or ConvNeXt-T's) pooled features of a batch at 224 px, eval mode, no autograd — selfsup's
// encoder (`backboneEncoder`: normalisation, backbone, global pool) vs torchvision's model under
// `torch.inference_mode`, each in its own process, same thread count. selfsup runs twice: with its
// malloc settings, and with glibc mapping every block over 32 MiB afresh (MALLOC_MMAP_MAX_=65536,
// glibc's default count, the settings before 2026-12-06). PyTorch runs twice too: with glibc's
// defaults, and with selfsup's settings through glibc's environment variables (bench/common.mjs).
// Medians of --steps batches per run, medians over --runs runs. Ratio = PyTorch ms (glibc's
// defaults) / selfsup ms.
// --configs a.ts,b.ts: instead, the backbones of selfsup configs (their model's encoder) on --size px
// images, selfsup alone (no PyTorch reference: the HiViT and ViT evaluation batches of the zoo).
//   node bench/extract.mjs [--depths 18,50,convnext_tiny] [--batch 128] [--threads 2] [--steps 5] [--runs 3]
//   node bench/extract.mjs --configs CFG[,CFG] --size 32 --batch 512
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MALLOC_ENV, median, runJson as run, stepTimes } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '18,50' },
    batch: { type: 'string', default: '128' },
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    configs: { type: 'string' },
    size: { type: 'string', default: '224' },
    child: { type: 'string' },
  },
});

/** `what`: a ResNet depth, `convnext_tiny`, or a config file whose model's encoder is measured. */
async function child(what) {
  const torch = await import('../packages/torch/dist/src/index.js');
  await import('../packages/selfsup/dist/src/builtins.js');
  const { ALGORITHMS, BACKBONES } = await import('../packages/selfsup/dist/src/models/registries.js');
  const { backboneEncoder } = await import('../packages/selfsup/dist/src/evaluation/features.js');
  const { modelEncoder } = await import('../packages/selfsup/dist/src/engine/model-source.js');
  const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
  torch.setNumThreads(Number(values.threads));
  torch.manualSeed(0);
  const norm = { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
  const encode = /^\d+$/.test(what)
    ? backboneEncoder(BACKBONES.build({ type: 'ResNet', depth: Number(what) }, 'backbone'), norm)
    : what === 'convnext_tiny'
      ? backboneEncoder(BACKBONES.build({ type: 'convnext-tiny' }, 'backbone'), norm)
      : modelEncoder(ALGORITHMS.build(prepareConfig(what).model, 'model'));
  const batch = Number(values.batch);
  const size = Number(values.size);
  const x = torch.keep(torch.randint(0, 256, [batch, 3, size, size]).to({ dtype: 'uint8' }));
  // As extractFeatures runs an encoder: eval mode is the encoder's, autograd off here.
  const step = () => torch.tidy(() => torch.inferenceMode(() => encode(x)).toTypedArray());
  const times = stepTimes(step, Number(values.steps));
  console.log(JSON.stringify({ ms: median(times), peak_mb: process.resourceUsage().maxRSS / 1024 }));
}

if (values.child) await child(values.child);
else {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  console.log(
    `${values.threads} thread(s), batch ${values.batch}, ${values.size} px, medians of ${values.steps} batches × ${values.runs} runs`,
  );
  console.log(
    ['model', 'selfsup ms', 'old malloc ms', 'PyTorch ms', 'PyTorch tuned', 'ratio', 'selfsup MB', 'old MB', 'PyTorch MB']
      .map((h, i) => (i === 0 ? h.padEnd(14) : h.padStart(15)))
      .join(''),
  );
  const subjects = values.configs ? values.configs.split(',') : values.depths.split(',');
  for (const subject of subjects) {
    const sides = { ours: [], old: [], theirs: [], tuned: [] };
    const args = [
      '--child',
      subject,
      '--threads',
      values.threads,
      '--steps',
      values.steps,
      '--batch',
      values.batch,
      '--size',
      values.size,
    ];
    for (let i = 0; i < Number(values.runs); i++) {
      // Alternated, so drift on a shared machine falls on every side alike.
      sides.ours.push(run(process.execPath, [fileURLToPath(import.meta.url), ...args]));
      sides.old.push(run(process.execPath, [fileURLToPath(import.meta.url), ...args], { MALLOC_MMAP_MAX_: '65536' }));
      if (values.configs) continue;
      const pyArgs = [join(here, 'extract.py'), subject, values.batch, values.threads, values.steps];
      sides.theirs.push(run(py, pyArgs));
      sides.tuned.push(run(py, pyArgs, MALLOC_ENV));
    }
    const ms = (s) => (sides[s].length ? median(sides[s].map((o) => o.ms)) : Number.NaN);
    const mb = (s) => (sides[s].length ? median(sides[s].map((o) => o.peak_mb)) : Number.NaN);
    const cell = (v, digits = 0) => (Number.isNaN(v) ? '—' : v.toFixed(digits)).padStart(15);
    console.log(
      [
        (values.configs
          ? basename(subject, extname(subject)).split('_')[0]
          : /^\d+$/.test(subject)
            ? `resnet${subject}`
            : subject
        ).padEnd(14),
        ...[ms('ours'), ms('old'), ms('theirs'), ms('tuned')].map((v) => cell(v)),
        cell(ms('theirs') / ms('ours'), 2),
        ...[mb('ours'), mb('old'), mb('theirs')].map((v) => cell(v)),
      ].join(''),
    );
  }
}
