/** CIFAR-10 (32 px) with MoCo v3's asymmetric views, without blur. */
import { cifar10Loader, defineConfig, mocoV3Views } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(mocoV3Views({ size: 32, blur: false })),
});
