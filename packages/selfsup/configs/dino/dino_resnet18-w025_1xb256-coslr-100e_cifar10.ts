/** DINO on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget. */
import { defineConfig, dinoModel } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_dino.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: dinoModel({
    inChannels: 128,
    hiddenChannels: 512,
    bottleneckChannels: 128,
    outChannels: 1024,
    numCrops: 6,
    teacherTemp: 0.04,
    warmupTeacherTempEpochs: 0,
  }),
  optimWrapper: { optimizer: { type: 'AdamW', lr: 5e-4, weightDecay: 0.04 } },
});
