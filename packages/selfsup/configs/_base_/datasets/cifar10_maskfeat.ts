/** CIFAR-10 (32 px) with MaskFeat's view and a block-wise mask over the 4 × 4 grid of 8-px patches (6 of 16 patches). */
import { cifar10Loader, defineConfig, maskFeatViews } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(maskFeatViews({ size: 32, patchSize: 8 })),
});
