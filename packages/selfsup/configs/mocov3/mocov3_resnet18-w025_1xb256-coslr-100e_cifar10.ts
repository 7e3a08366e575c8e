/** MoCo v3 on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget. */
import { defineConfig, lars, larsExclude, mocoV3Model } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_mocov3.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: mocoV3Model({ inChannels: 128, hidChannels: 1024, outChannels: 128, temperature: 0.2, predictorLastBn: true }),
  optimWrapper: { optimizer: lars(0.6, 1e-6), paramwiseCfg: larsExclude(['bn', 'bias']) },
});
