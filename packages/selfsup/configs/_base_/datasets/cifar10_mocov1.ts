/** CIFAR-10 (32 px) with MoCo v1's two views. */
import { cifar10Loader, defineConfig, mocoV1Views } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(mocoV1Views({ size: 32 })),
});
