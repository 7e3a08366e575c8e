/** CIFAR-10 with SwAV's multi-crop scaled down: 2 × 32 px and 4 × 16 px crops, without blur. */
import { cifar10Loader, defineConfig, swavViews } from 'selfsup/config';

const views = swavViews({ size: 32, smallSize: 16, numCrops: [2, 4], blur: false });
export default defineConfig({ _base_: './cifar10_knn.ts', trainDataloader: cifar10Loader(views) });
