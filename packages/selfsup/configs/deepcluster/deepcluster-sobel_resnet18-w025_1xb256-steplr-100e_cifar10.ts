/**
 * DeepCluster with the Sobel input on CIFAR-10, CPU-sized: the ¼-width ResNet-18 (128 features),
 * 100 clusters of the 50 000 train images (PCA-whitened to 64 dims) every epoch, class-balanced
 * sampling, the ImageNet recipe's augmentation at 32 px.
 */
import { cifar10Loader, colorJitter, defineConfig, epochs, flip, grayscale, randomResizedCrop } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/resnet18-w025_cifar10.ts', '../_base_/default_runtime.ts', '../_base_/datasets/cifar10_knn.ts'],
  model: {
    type: 'DeepCluster',
    withSobel: true,
    backbone: { inChannels: 2, zeroInitResidual: false },
    neck: { type: 'AvgPool2dNeck' },
    head: { type: 'ClsHead', inChannels: 128, numClasses: 100 },
  },
  trainDataloader: cifar10Loader({
    type: 'MultiView',
    numViews: 1,
    transforms: [
      [
        randomResizedCrop(32, [0.2, 1]),
        flip(),
        { type: 'RandomRotation', degrees: 2 },
        colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 1.0, hue: 0.5 }),
        grayscale(0.2),
      ],
    ],
  }),
  customHooks: [
    {
      type: 'DeepClusterHook',
      extractDataloader: { batchSize: 512, dataset: { type: 'CIFAR10', root: 'data/cifar10', split: 'train' } },
      clustering: { type: 'Kmeans', k: 100, pcaDim: 64 },
      unifSampling: true,
      reweight: false,
      reweightPow: 0.5,
    },
  ],
  optimWrapper: {
    optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weightDecay: 1e-5 },
    paramwiseCfg: { customKeys: { head: { momentum: 0 } } },
  },
  paramScheduler: [{ type: 'MultiStepLR', byEpoch: true, milestones: [80], gamma: 0.1 }],
  trainCfg: epochs(100),
});
