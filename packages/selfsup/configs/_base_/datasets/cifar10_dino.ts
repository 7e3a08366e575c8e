/** CIFAR-10 with DINO's multi-crop scaled down: 2 × 32 px crops of (0.3, 1), 4 × 16 px of (0.05, 0.3), without blur. */
import { cifar10Loader, defineConfig, dinoViews } from 'selfsup/config';

const views = dinoViews({ size: 32, smallSize: 16, numCrops: [2, 4], split: 0.3, blur: false });
export default defineConfig({ _base_: './cifar10_knn.ts', trainDataloader: cifar10Loader(views) });
