/**
 * ODC on CIFAR-10, CPU-sized (batch 256 on one process): 400 clusters (≈125 images each, ImageNet's
 * ratio), minimum cluster 20, the memory sized from the dataset and clustered first from the unaugmented images.
 */
import { cifar10Loader, defineConfig, odcHook, odcModel, odcViews, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  trainDataloader: cifar10Loader(odcViews({ size: 32 })),
  model: odcModel({ inChannels: 128, numClasses: 400 }),
  optimWrapper: { optimizer: sgd(0.06, 1e-5), paramwiseCfg: { customKeys: { head: { momentum: 0 } } } },
  customHooks: [odcHook({ type: 'CIFAR10', root: 'data/cifar10', split: 'train' }, 256)],
});
