/** CIFAR-10 (32 px) with BYOL's asymmetric views (also Barlow Twins' and VICReg's), without blur. */
import { byolViews, cifar10Loader, defineConfig } from 'selfsup/config';

export default defineConfig({ _base_: './cifar10_knn.ts', trainDataloader: cifar10Loader(byolViews({ size: 32, blur: false })) });
