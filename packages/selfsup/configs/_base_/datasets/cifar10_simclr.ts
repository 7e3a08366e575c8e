/** CIFAR-10 (32 px) with SimCLR's views, without blur (it erases 32 px detail; solo-learn and lightly drop it on CIFAR). */
import { cifar10Loader, defineConfig, simclrViews } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(simclrViews({ size: 32, blur: false })),
});
