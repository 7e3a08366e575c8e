/** NPID on CIFAR-10, CPU-sized (batch 256 on one process): 4096 negatives, the bank sized from the dataset (50,000 rows). */
import { cifar10Loader, defineConfig, npidModel, npidViews, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  trainDataloader: cifar10Loader(npidViews({ size: 32 })),
  model: npidModel({ inChannels: 128, negNum: 4096 }),
  optimWrapper: { optimizer: sgd(0.03, 5e-4) },
});
