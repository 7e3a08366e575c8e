/** Barlow Twins on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget. */
import { barlowTwinsModel, defineConfig, lars, larsExclude } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_byol.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: barlowTwinsModel({ inChannels: 128, hidChannels: 1024, outChannels: 1024 }),
  optimWrapper: { optimizer: lars(0.3, 1e-5), paramwiseCfg: larsExclude(['bn', 'bias']) },
});
