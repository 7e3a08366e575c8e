#!/usr/bin/env node
// Per-operator call overhead and one training step: selfsup vs Python PyTorch on the same
// libtorch and thread count, side by side in one run. Prints each case and the ratio
// (selfsup / PyTorch; below 1 means selfsup is faster). Medians over --runs runs.
//   node bench/ops.mjs [--threads N] [--runs N]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MALLOC_ENV, median } from './common.mjs';
import * as torch from '../packages/torch/dist/src/index.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '5' },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
torch.setNumThreads(threads);
torch.setGcSafetyNet(false);
const F = torch.F;

// Warm up for a quarter second (the JIT needs it), then time batches for at least `ms`.
function timeit(fn, ms = 500) {
  const until = (limit) => {
    let n = 0;
    const t = process.hrtime.bigint();
    let el = 0n;
    while (el < BigInt(limit * 1e6)) {
      fn();
      n++;
      if ((n & 7) === 0) el = process.hrtime.bigint() - t;
    }
    return Number(process.hrtime.bigint() - t) / n / 1000;
  };
  until(250);
  return until(ms);
}

function selfsupRun() {
  const a = torch.keep(torch.ones([1]));
  const m = torch.keep(torch.randn([64, 64]));
  const x = torch.keep(torch.randn([8, 16, 32, 32]));
  const w = torch.keep(torch.randn([16, 16, 3, 3]));
  torch.manualSeed(0);
  const p = [[16, 3, 3, 3], [16], [32, 16, 3, 3], [32], [10, 32], [10]].map((s) =>
    torch.keep(torch.randn(s).requiresGrad_(true)),
  );
  const xb = torch.keep(torch.randn([32, 3, 32, 32]));
  const yb = torch.keep(torch.randint(0, 10, [32]));
  const step = () =>
    torch.tidy(() => {
      let h = F.maxPool2d(F.relu(F.conv2d(xb, p[0], p[1], { padding: 1 })), 2);
      h = F.adaptiveAvgPool2d(F.relu(F.conv2d(h, p[2], p[3], { padding: 1 })), 1).flatten(1);
      F.crossEntropy(F.linear(h, p[4], p[5]), yb).backward();
      torch.noGrad(() => {
        for (const q of p) {
          const g = q.grad;
          q.sub_(g, { alpha: 0.01 });
          g.zero_();
        }
      });
    });
  const out = {
    'add 1-element': timeit(() => a.add(a).dispose()),
    'matmul 64x64': timeit(() => m.matmul(m).dispose()),
    'conv3x3 8x16x32x32': timeit(() => F.conv2d(x, w, null, { padding: 1 }).dispose()),
    'train step small conv net (B=32, 32px)': timeit(step),
  };
  for (const t of [a, m, x, w, xb, yb, ...p]) t.dispose();
  return out;
}

// `tuned`: Python with selfsup's malloc settings (the "PyTorch" column); otherwise as users run it.
function pythonRun(tuned) {
  const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
  const env = tuned ? { ...process.env, ...MALLOC_ENV } : process.env;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'ops.py');
  const r = spawnSync(py, [script, String(threads)], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const ours = [];
const theirs = [];
const plain = [];
for (let i = 0; i < runs; i++) {
  ours.push(selfsupRun());
  theirs.push(pythonRun(true));
  plain.push(pythonRun(false));
}
console.log(`libtorch ${torch.version}, ${threads} thread(s), medians of ${runs} runs (µs per call)`);
console.log(
  'case'.padEnd(42),
  'selfsup'.padStart(10),
  'PyTorch'.padStart(10),
  'ratio'.padStart(8),
  'PyTorch, default malloc'.padStart(25),
);
for (const k of Object.keys(ours[0])) {
  const s = median(ours.map((o) => o[k]));
  const p = median(theirs.map((o) => o[k]));
  const q = median(plain.map((o) => o[k]));
  console.log(
    k.padEnd(42),
    s.toFixed(2).padStart(10),
    p.toFixed(2).padStart(10),
    (s / p).toFixed(2).padStart(8),
    q.toFixed(2).padStart(25),
  );
}
