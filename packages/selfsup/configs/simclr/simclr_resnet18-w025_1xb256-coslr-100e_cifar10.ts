/** SimCLR on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget. */
import { defineConfig, sgd, simclrModel } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_simclr.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: simclrModel({ inChannels: 128, hidChannels: 512, outChannels: 128, temperature: 0.2 }),
  optimWrapper: { optimizer: sgd(0.3, 5e-4) },
});
