#!/usr/bin/env node
// One MAE pre-training step of the CPU-sized CIFAR-10 model (ViT-Tiny/4 at 32 px, mask ratio 0.75,
// 2-block 128-wide decoder, normalised-pixel loss): preprocess uint8 views, masked forward, decoder,
// loss, backward, AdamW. selfsup (built from configs/mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts)
// vs the same model in Python PyTorch (bench/mae_ref.py, timm-style) on the same libtorch and thread
// count, each in its own process. Medians of --steps steps per run, medians over --runs runs.
// Ratio = PyTorch time / selfsup time (≥ 1: selfsup as fast or faster); MB = peak RSS growth.
//   node bench/mae_step.mjs [--threads 2] [--steps 10] [--runs 3] [--batch 64]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAlgorithm, MALLOC_ENV, median, runJson, stepTimes } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    child: { type: 'boolean', default: false },
  },
});

async function child() {
  const { torch, model } = await loadAlgorithm(
    join(here, '../packages/selfsup/configs/mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts'),
    Number(values.threads),
  );
  model.train();
  const params = [...model.parameters()].filter((p) => p.requiresGrad);
  const opt = new torch.optim.AdamW(params, { lr: 1.5e-4, betas: [0.9, 0.95], weightDecay: 0.05 });
  const views = torch.keep(torch.randint(0, 256, [Number(values.batch), 3, 32, 32]).to({ dtype: 'uint8' }));
  const base = process.resourceUsage().maxRSS / 1024;
  const step = () =>
    torch.tidy(() => {
      opt.zeroGrad();
      model.loss({ views: [views] }).loss.backward();
      opt.step();
    });
  const times = stepTimes(step, Number(values.steps));
  console.log(JSON.stringify({ ms: median(times), peak_mb: process.resourceUsage().maxRSS / 1024, base_mb: base }));
}

const run = (cmd, args) => runJson(cmd, args, MALLOC_ENV);

if (values.child) {
  await child();
} else {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  const ours = [];
  const theirs = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const args = ['--threads', values.threads, '--steps', values.steps, '--batch', values.batch];
    ours.push(run(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args]));
    theirs.push(run(py, [join(here, 'mae_step.py'), values.threads, values.steps, values.batch]));
  }
  const s = median(ours.map((o) => o.ms));
  const p = median(theirs.map((o) => o.ms));
  const sm = median(ours.map((o) => o.peak_mb - o.base_mb));
  const pm = median(theirs.map((o) => o.peak_mb - o.base_mb));
  console.log(
    `MAE ViT-Tiny/4, 32 px, batch ${values.batch}, ${values.threads} thread(s), medians of ${values.steps} steps × ${values.runs} runs`,
  );
  console.log(['selfsup ms', 'PyTorch ms', 'ratio', 'selfsup MB', 'PyTorch MB'].map((h) => h.padStart(11)).join(''));
  console.log([s.toFixed(1), p.toFixed(1), (p / s).toFixed(2), sm.toFixed(0), pm.toFixed(0)].map((v) => v.padStart(11)).join(''));
}
