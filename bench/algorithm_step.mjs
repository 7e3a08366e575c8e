#!/usr/bin/env node
// One pre-training step of an algorithm config's model, alone (no data loader, no runner): `model.loss`
// on random 32-px views, backward, a plain SGD update. It isolates the model's cost from the pipeline's
// (e.g. NPID's memory-bank negatives against SimCLR's two views). selfsup only; medians of --steps.
//   node bench/algorithm_step.mjs --config CFG [--views 2] [--batch 128] [--size 32] [--threads 2] [--steps 6] [--dataset-length 50000]
import { parseArgs } from 'node:util';
import { loadAlgorithm, median, stepTimes } from './common.mjs';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    views: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    size: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '6' },
    'dataset-length': { type: 'string', default: '50000' },
  },
});
if (!values.config) throw new Error('--config CFG is required');
const { torch, model } = await loadAlgorithm(values.config, Number(values.threads));
const n = Number(values['dataset-length']);
model.setDatasetLength?.(n); // memory banks (NPID, ODC) are sized by the dataset
model.train();
const [bs, size] = [Number(values.batch), Number(values.size)];
const views = Array.from({ length: Number(values.views) }, () => torch.keep(torch.rand([bs, 3, size, size]).mul(255)));
const idx = torch.keep(torch.randint(0, n, [bs]));
const params = [...model.parameters()].filter((p) => p.requiresGrad);
const step = () =>
  torch.tidy(() => {
    model.loss({ views, idx }).loss.backward();
    torch.noGrad(() => {
      for (const p of params) {
        if (!p.grad) continue;
        p.sub_(p.grad, { alpha: 1e-3 });
        p.grad = null;
      }
    });
  });
const times = stepTimes(step, Number(values.steps));
console.log(
  `${values.config.split('/').pop()}: ${values.views} view(s) of ${bs}×${size}px, ${values.threads} thread(s): ` +
    `median ${median(times).toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(' ')})`,
);
