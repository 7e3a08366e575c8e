/**
 * SimCLR on Fashion-MNIST, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem on 28 px grey
 * images, a 2-layer 512-d projector, NT-Xent at T = 0.2, SGD with a short warm-up and cosine
 * decay over one epoch (about 3 minutes on 2 cores). `selfsup demo` runs this config.
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
  optimWrapper: { optimizer: sgd(0.3, 5e-4) },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.1, byEpoch: false, begin: 0, end: 50 },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: 1, convertToIterBased: true },
  ],
  trainCfg: epochs(1),
  defaultHooks: { logger: { interval: 20 }, checkpoint: { interval: 1, maxKeepCkpts: 2 } },
});
