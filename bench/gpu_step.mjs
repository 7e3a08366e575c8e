#!/usr/bin/env node
// One pre-training step on a GPU, selfsup vs Python PyTorch on the same machine (each in its own
// process, the same CUDA libtorch when the addon was built against Python's torch/): SimCLR with a
// ResNet-50 (two 224 px views) and MAE ViT-B/16 (224 px, 75 % masked). Both sides copy uint8 views
// to the device, normalise them there, run forward and loss in an autocast region (--amp fp16 with
// a dynamic GradScaler, bf16, or off), step, and read the loss back (as a logging training loop
// does). Medians of --steps steps per run, medians over --runs runs.
// Ratio = PyTorch time / selfsup time (≥ 1: selfsup as fast or faster).
//   node bench/gpu_step.mjs [--models simclr_r50,mae_vitb] [--batch 64] [--steps 20] [--runs 3] [--amp fp16]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, stepTimes } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'simclr_r50,mae_vitb' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    amp: { type: 'string', default: 'fp16' },
    child: { type: 'string' },
  },
});

const CONFIGS = {
  simclr_r50: 'simclr/simclr_resnet50_16xb256-coslr-200e_in1k.ts',
  mae_vitb: 'mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
};

async function child(name) {
  const torch = await import('../packages/torch/dist/src/index.js');
  await import('../packages/selfsup/dist/src/builtins.js');
  const { ALGORITHMS } = await import('../packages/selfsup/dist/src/models/registries.js');
  const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
  const { batchToDevice } = await import('../packages/selfsup/dist/src/engine/device.js');
  if (!torch.cuda.isAvailable()) throw new Error('gpu_step: no CUDA device (build the addon against a CUDA libtorch)');
  const dev = 'cuda:0';
  const batch = Number(values.batch);
  torch.manualSeed(0);
  const cfg = prepareConfig(join(here, '../packages/selfsup/configs', CONFIGS[name]));
  const model = ALGORITHMS.build(cfg.model, 'model').to(dev);
  model.train();
  const params = [...model.parameters()].filter((p) => p.requiresGrad);
  const opt =
    name === 'simclr_r50'
      ? new torch.optim.SGD(params, { lr: 0.3, momentum: 0.9, weightDecay: 1e-6 })
      : new torch.optim.AdamW(params, { lr: 1.5e-4, betas: [0.9, 0.95], weightDecay: 0.05 });
  const amp = values.amp;
  const ow = new torch.optim.OptimWrapper(opt, {
    gradScaler: amp === 'fp16' ? new torch.optim.GradScaler() : null,
    autocast: amp === 'fp16' || amp === 'bf16' ? { deviceType: 'cuda', dtype: amp === 'fp16' ? 'float16' : 'bfloat16' } : null,
  });
  const nViews = name === 'simclr_r50' ? 2 : 1;
  const views = Array.from({ length: nViews }, () =>
    torch.keep(torch.randint(0, 256, [batch, 3, 224, 224]).to({ dtype: 'uint8' })),
  );
  const step = () =>
    torch.tidy(() => {
      const input = batchToDevice({ views }, dev);
      const loss = ow.optimContext(() => model.loss(input).loss);
      const value = loss.item();
      ow.backward(loss);
      ow.step();
      ow.zeroGrad();
      return value;
    });
  const times = stepTimes(step, Number(values.steps), { warmup: 3, sync: () => torch.cuda.synchronize() });
  console.log(JSON.stringify({ ms: median(times) }));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (values.child) {
  await child(values.child);
} else {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  const torch = await import('../packages/torch/dist/src/index.js');
  const info = torch.cuda.info();
  console.log(
    `${info.devices.map((d) => d.name ?? 'GPU').join(', ')}; CUDA ${info.runtime}, cuDNN ${info.cudnn}; libtorch ${torch.version}; ` +
      `batch ${values.batch}, amp ${values.amp}, medians of ${values.steps} steps × ${values.runs} runs`,
  );
  console.log(['model', 'selfsup ms', 'PyTorch ms', 'ratio', 'PyTorch MB'].map((h) => h.padStart(12)).join(''));
  for (const name of values.models.split(',')) {
    const ours = [];
    const theirs = [];
    for (let i = 0; i < Number(values.runs); i++) {
      ours.push(
        run(process.execPath, [
          fileURLToPath(import.meta.url),
          '--child',
          name,
          '--batch',
          values.batch,
          '--steps',
          values.steps,
          '--amp',
          values.amp,
        ]),
      );
      theirs.push(run(py, [join(here, 'gpu_step.py'), name, values.steps, values.batch, values.amp]));
    }
    const s = median(ours.map((o) => o.ms));
    const p = median(theirs.map((o) => o.ms));
    const pm = median(theirs.map((o) => o.peak_mb));
    console.log(
      [name, s.toFixed(1), p.toFixed(1), (p / s).toFixed(2), pm.toFixed(0)].map((v) => String(v).padStart(12)).join(''),
    );
  }
}
