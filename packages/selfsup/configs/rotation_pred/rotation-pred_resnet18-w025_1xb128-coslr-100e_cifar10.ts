/** RotationPred on CIFAR-10, CPU-sized: 128 images (512 rotations) per step, as MMSelfSup's 8 × 16, SGD 0.2, 100 epochs of warm-up + cosine. */
import { defineConfig, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_rotation-pred.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: {
    type: 'RotationPred',
    head: { type: 'ClsHead', withAvgPool: true, inChannels: 128, numClasses: 4 },
  },
  trainDataloader: { batchSize: 128 },
  optimWrapper: { optimizer: sgd(0.2, 5e-4) },
});
