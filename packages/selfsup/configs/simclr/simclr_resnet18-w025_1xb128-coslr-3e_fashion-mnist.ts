/**
 * SimCLR on Fashion-MNIST, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem on 28 px grey
 * images, a 2-layer 512-d projector, NT-Xent at T = 0.2, batch 128 (twice the updates of 256 per
 * image, which short budgets favour), SGD with a short warm-up and cosine decay over three epochs.
 * `selfsup demo` runs this config and fits the schedule into its budget (on 2 cores: ~880
 * iterations, ~1.9 epochs, in 4.5 minutes).
 */
import { defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/fashion-mnist_simclr.ts', '../_base_/default_runtime.ts'],
  model: {
    type: 'SimCLR',
    dataPreprocessor: { mean: [72.94], std: [90.02] },
    backbone: { type: 'ResNet', depth: 18, inChannels: 1, widthMultiplier: 0.25, cifarStem: true, zeroInitResidual: true },
    neck: {
      type: 'NonLinearNeck',
      inChannels: 128,
      hidChannels: 512,
      outChannels: 128,
      numLayers: 2,
      withAvgPool: true,
      normCfg: { type: 'BN1d' },
    },
    head: { type: 'ContrastiveHead', temperature: 0.2 },
  },
  trainDataloader: { batchSize: 128 },
  optimWrapper: { optimizer: sgd(0.3, 5e-4) },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.1, byEpoch: false, begin: 0, end: 50 },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: 3, convertToIterBased: true },
  ],
  trainCfg: epochs(3),
  defaultHooks: { logger: { interval: 20 }, checkpoint: { interval: 1, maxKeepCkpts: 2 } },
});
