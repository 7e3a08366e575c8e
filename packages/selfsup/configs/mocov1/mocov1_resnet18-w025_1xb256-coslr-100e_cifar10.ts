/** MoCo v1 on CIFAR-10, CPU-sized (batch 256 on one process): the MoCo v2 CIFAR-10 recipe's queue, momentum and SGD with MoCo v1's linear head and τ 0.07. */
import { defineConfig, mocoV1Model, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_mocov1.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: mocoV1Model({ inChannels: 128, queueLen: 4096, momentum: 0.99 }),
  optimWrapper: { optimizer: sgd(0.06, 5e-4) },
});
