#!/usr/bin/env node
// One training step (forward, cross-entropy, backward, SGD update) of ResNet-18 (CIFAR stem, full
// width) and ViT-Tiny/4 at 32 px, batch 64: selfsup vs Python PyTorch on the same libtorch and
// thread count, each in its own process (so peak RSS is per run). Medians of --steps steps per
// run, medians over --runs runs. Ratio = PyTorch time / selfsup time (≥ 1: selfsup as fast or faster).
//   node bench/train_step.mjs [--models resnet18,vit_tiny] [--threads 2] [--steps 10] [--runs 3] [--channels-last]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MALLOC_ENV, median, runJson, stepTimes } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet18,vit_tiny' },
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    'channels-last': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

async function child(model) {
  const torch = await import('../packages/torch/dist/src/index.js');
  const { ResNet } = await import('../packages/selfsup/dist/src/models/backbones/resnet.js');
  const threads = Number(values.threads);
  const steps = Number(values.steps);
  const cl = values['channels-last'];
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  let net;
  let head;
  if (model === 'resnet18') {
    net = new ResNet({ depth: 18, cifarStem: true });
    head = new torch.nn.Linear(512, 10);
  } else {
    const { BACKBONES } = await import('../packages/selfsup/dist/src/models/registries.js');
    await import('../packages/selfsup/dist/src/builtins.js');
    net = BACKBONES.build({ type: 'vit-tiny', patchSize: 4, imgSize: 32 });
    head = new torch.nn.Linear(192, 10);
  }
  net.train();
  if (cl) net.to({ memoryFormat: 'channelsLast' });
  let x = torch.keep(torch.randn([64, 3, 32, 32]));
  if (cl) x = torch.keep(x.contiguous('channelsLast'));
  const y = torch.keep(torch.randint(0, 10, [64]));
  const params = [...net.parameters(), ...head.parameters()];
  const base = process.resourceUsage().maxRSS / 1024;
  const step = () =>
    torch.tidy(() => {
      const f = net.forwardFeatures(x);
      const pooled = f.dim() === 4 ? torch.F.adaptiveAvgPool2d(f, 1).flatten(1) : f.index(':', 0);
      torch.F.crossEntropy(head.forward(pooled), y).backward();
      torch.noGrad(() => {
        for (const p of params) {
          const g = p.grad;
          p.sub_(g, { alpha: 0.01 });
          p.grad = null;
        }
      });
    });
  const times = stepTimes(step, steps);
  console.log(JSON.stringify({ ms: median(times), peak_mb: process.resourceUsage().maxRSS / 1024, base_mb: base }));
}

const run = (cmd, args) => runJson(cmd, args, MALLOC_ENV);

if (values.child) {
  await child(values.child);
} else {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  const cl = values['channels-last'] ? '1' : '0';
  console.log(
    `${values.threads} thread(s), batch 64, 32 px, medians of ${values.steps} steps × ${values.runs} runs${cl === '1' ? ', channels_last' : ''}`,
  );
  console.log(
    'model'.padEnd(10),
    'selfsup ms'.padStart(11),
    'PyTorch ms'.padStart(11),
    'ratio'.padStart(7),
    'selfsup MB'.padStart(11),
    'PyTorch MB'.padStart(11),
  );
  for (const model of values.models.split(',')) {
    const ours = [];
    const theirs = [];
    for (let i = 0; i < Number(values.runs); i++) {
      const childArgs = ['--child', model, '--threads', values.threads, '--steps', values.steps];
      if (values['channels-last']) childArgs.push('--channels-last');
      ours.push(run(process.execPath, [fileURLToPath(import.meta.url), ...childArgs]));
      theirs.push(run(py, [join(here, 'train_step.py'), model, values.threads, values.steps, cl]));
    }
    const s = median(ours.map((o) => o.ms));
    const p = median(theirs.map((o) => o.ms));
    // Memory: peak RSS growth over the process's state just before the first step.
    const sm = median(ours.map((o) => o.peak_mb - o.base_mb));
    const pm = median(theirs.map((o) => o.peak_mb - o.base_mb));
    console.log(
      model.padEnd(10),
      s.toFixed(1).padStart(11),
      p.toFixed(1).padStart(11),
      (p / s).toFixed(2).padStart(7),
      sm.toFixed(0).padStart(11),
      pm.toFixed(0).padStart(11),
    );
  }
}
