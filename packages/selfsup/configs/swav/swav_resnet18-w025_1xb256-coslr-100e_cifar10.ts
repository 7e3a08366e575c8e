/**
 * SwAV on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget.
 * 3000 prototypes, as solo-learn's CIFAR recipe: fewer than the 128 embedding dimensions leave
 * embeddings orthogonal to every prototype, a trivial ln K solution (100 prototypes fell into it).
 */
import { defineConfig, lars, larsExclude, swavModel } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_swav.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: swavModel({
    inChannels: 128,
    hidChannels: 512,
    numCrops: [2, 4],
    numPrototypes: 3000,
    freezePrototypesIters: 300,
    queueLength: 0,
  }),
  optimWrapper: { optimizer: lars(0.6, 1e-6), paramwiseCfg: larsExclude(['bn', 'bias']) },
});
