#!/usr/bin/env node
// What the training loop costs around the model step (issue 18's "per-iteration overhead in the
// runner" and "fused optimizer steps" levers), in milliseconds per iteration:
//  1. runner: the bundled CIFAR-10 SimCLR config's runner (its hooks, logger, lr/momentum
//     schedulers, optimizer wrapper, channels_last handling, the in-process loader with a
//     two-view flip pipeline and collation) around a model so small that its step costs almost
//     nothing (a linear layer on the pixels of view 0), against a bare loop stepping the same model
//     on one fixed batch. The difference is the overhead per iteration, to compare with the real
//     model step (~0.4–0.8 s at batch 256 on this machine).
//  2. optimizer: the SimCLR model's SGD step (¼-width ResNet-18 + projector, gradients set) with
//     libtorch's multi-tensor `_foreach_*` kernels and with the per-tensor fallback.
// Medians of --runs; one thread (the overhead is single-threaded work).
//   node bench/runner_overhead.mjs [--iters 400] [--skip 50] [--runs 5] [--batch 256]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './common.mjs';

const { values } = parseArgs({
  options: {
    iters: { type: 'string', default: '400' },
    skip: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    batch: { type: 'string', default: '256' },
  },
});
const iters = Number(values.iters);
const skip = Number(values.skip);
const batch = Number(values.batch);
const root = new URL('../packages/', import.meta.url).pathname;
const torch = await import(`${root}torch/dist/src/index.js`);
const { setForeachKernels } = await import(`${root}torch/dist/src/optim/foreach.js`);
const selfsup = await import(`${root}selfsup/dist/src/index.js`);
const { definePart, registerParts } = await import(`${root}selfsup/dist/src/core/registry.js`);
const { z, posInt } = await import(`${root}selfsup/dist/src/core/schema.js`);
const { ArrayDataset } = await import(`${root}selfsup/dist/src/data/datasets/array-dataset.js`);
const { DATASETS } = await import(`${root}selfsup/dist/src/data/registries.js`);
const { ALGORITHMS, BACKBONES } = await import(`${root}selfsup/dist/src/models/registries.js`);
const { Algorithm } = await import(`${root}selfsup/dist/src/models/algorithms/base.js`);
const { Backbone } = await import(`${root}selfsup/dist/src/models/backbones/base.js`);
const { prepareConfig } = await import(`${root}selfsup/dist/src/engine/config/prepare.js`);
const { validateConfig } = await import(`${root}selfsup/dist/src/engine/config/config.js`);
const { buildOptimWrapper } = await import(`${root}selfsup/dist/src/engine/optim-builder.js`);
torch.setNumThreads(1);

class PixelLinear extends Backbone {
  constructor(inFeatures) {
    super();
    this.numFeatures = 16;
    this.stageChannels = [16];
    this.fc = this.registerModule('fc', new torch.nn.Linear(inFeatures, 16));
  }
  forward(x) {
    return [this.forwardFeatures(x)];
  }
  forwardFeatures(x) {
    return torch.tidy(() => this.fc.forward(x.flatten(1)));
  }
  initWeights() {}
  applyFreezing() {}
}

// tanh keeps the loss finite at the SimCLR recipe's lr, which a plain square on raw pixels diverges under.
class TinyAlgo extends Algorithm {
  loss(batch) {
    return torch.tidy(() => ({
      loss: this.backbone.forwardFeatures(this.preprocess(batch.views[0])).tanh().pow(2).mean(),
      logs: {},
    }));
  }
}

registerParts([
  definePart({
    registry: BACKBONES,
    name: 'OverheadPixelLinear',
    schema: z.strictObject({ inFeatures: posInt() }),
    description: 'a linear layer on the flattened pixels',
    build: (o) => new PixelLinear(o.inFeatures),
  }),
  definePart({
    registry: ALGORITHMS,
    name: 'OverheadTinyAlgo',
    schema: z.strictObject({}),
    description: 'mean square of a linear map of view 0',
    build: () =>
      new TinyAlgo({
        backbone: { type: 'OverheadPixelLinear', inFeatures: 3 * 32 * 32 },
        dataPreprocessor: { mean: [127.5, 127.5, 127.5], std: [64, 64, 64] },
      }),
  }),
  definePart({
    registry: DATASETS,
    name: 'OverheadArray',
    schema: z.strictObject({ n: posInt() }),
    description: 'seeded random 32-px images',
    build: (o) => {
      const data = new Uint8Array(o.n * 32 * 32 * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
      return new ArrayDataset('OverheadArray', data, { height: 32, width: 32, channels: 3 }, new Int32Array(o.n), ['x']);
    },
  }),
]);

const simclrFile = join(root, 'selfsup/configs/simclr/simclr_resnet18-w025_1xb256-coslr-100e_cifar10.ts');

/** Seconds per iteration after `skip` of the bundled config's runner around the tiny model. */
async function runnerSeconds() {
  const base = prepareConfig(simclrFile);
  const cfg = validateConfig({
    ...base,
    model: { type: 'OverheadTinyAlgo' },
    trainDataloader: {
      ...base.trainDataloader,
      batchSize: batch,
      numWorkers: 0,
      dataset: {
        type: 'OverheadArray',
        n: batch * 8,
        pipeline: { type: 'MultiView', numViews: 2, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
      },
    },
    trainCfg: { type: 'IterBasedTrainLoop', maxIters: iters },
    knnMonitor: null,
    defaultHooks: { ...base.defaultHooks, checkpoint: { interval: -1, saveLast: false, saveBest: null } },
  });
  const ends = [];
  class Clock extends selfsup.Hook {
    afterTrainIter() {
      ends.push(performance.now());
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-overhead-'));
  try {
    const runner = new selfsup.Runner(cfg, { workDir: dir, quiet: true });
    runner.hooks.push(new Clock());
    await runner.train();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return (ends[iters - 1] - ends[skip - 1]) / (iters - skip) / 1000;
}

/** Seconds per iteration of the bare step: the same model, optimizer and batch, no runner, no loader. */
function bareSeconds() {
  const base = prepareConfig(simclrFile);
  torch.manualSeed(0);
  const model = ALGORITHMS.build({ type: 'OverheadTinyAlgo' }, 'model');
  const ow = buildOptimWrapper(base.optimWrapper, model);
  const views = [0, 1].map(() => torch.keep(torch.randint(0, 256, [batch, 3, 32, 32], { dtype: 'uint8' })));
  const input = { views, idx: null, labels: null };
  let t0 = 0;
  for (let i = 0; i < iters; i++) {
    if (i === skip) t0 = performance.now();
    model.train();
    torch.tidy(() => {
      const out = ow.optimContext(() => model.forward(input, { epoch: 0, iter: i, maxEpochs: 1, maxIters: iters }));
      out.loss.item();
      ow.backward(out.loss);
      ow.step();
      ow.zeroGrad();
    });
  }
  return (performance.now() - t0) / (iters - skip) / 1000;
}

/** Milliseconds per SGD step of the SimCLR CIFAR model (gradients set), foreach kernels on or off. */
function optimizerStepMs(foreach) {
  const cfg = prepareConfig(simclrFile);
  torch.manualSeed(0);
  const model = selfsup.ALGORITHMS.build(cfg.model, 'model');
  const ow = buildOptimWrapper(cfg.optimWrapper, model);
  const params = model.parameters().filter((p) => p.requiresGrad);
  torch.noGrad(() => {
    for (const p of params) {
      const g = torch.randn(p.shape).mul_(0.01);
      p.grad = g;
      g.dispose();
    }
  });
  setForeachKernels(foreach);
  try {
    const n = 200;
    for (let i = 0; i < 20; i++) ow.step();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ow.step();
    return { ms: (performance.now() - t0) / n, tensors: params.length };
  } finally {
    setForeachKernels(true);
  }
}

const rows = { runner: [], bare: [], foreachOn: [], foreachOff: [] };
let tensors = 0;
for (let r = 0; r < Number(values.runs); r++) {
  rows.runner.push((await runnerSeconds()) * 1000);
  rows.bare.push(bareSeconds() * 1000);
  const on = optimizerStepMs(true);
  tensors = on.tensors;
  rows.foreachOn.push(on.ms);
  rows.foreachOff.push(optimizerStepMs(false).ms);
}
const f = (xs) => median(xs).toFixed(2);
console.log(`1 thread, batch ${batch}, iterations ${skip + 1}–${iters}, medians of ${values.runs} runs`);
console.log(
  `runner around a ~free model step: ${f(rows.runner)} ms/iter; bare step: ${f(rows.bare)} ms/iter; overhead ${(median(rows.runner) - median(rows.bare)).toFixed(2)} ms/iter`,
);
console.log(
  `SimCLR CIFAR SGD step over ${tensors} tensors: foreach ${f(rows.foreachOn)} ms, per-tensor ${f(rows.foreachOff)} ms`,
);
console.log(JSON.stringify(rows));
