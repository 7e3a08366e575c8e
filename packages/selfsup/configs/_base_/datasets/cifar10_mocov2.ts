/** CIFAR-10 (32 px) with MoCo v2's views (also DenseCL's and SimSiam's), without blur. */
import { cifar10Loader, defineConfig, mocoV2Views } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(mocoV2Views({ size: 32, blur: false })),
});
