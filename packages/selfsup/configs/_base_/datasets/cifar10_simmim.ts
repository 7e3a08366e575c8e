/**
 * CIFAR-10 (32 px) with SimMIM's view and a mask of 8-px blocks over the 2-px patches of the CIFAR
 * Swin (ratio 0.6: 10 of the 16 blocks), and the online kNN monitor.
 */
import { cifar10Loader, defineConfig, simmimViews } from 'selfsup/config';

const views = simmimViews({ size: 32, maskPatchSize: 8, modelPatchSize: 2, maskRatio: 0.6 });
export default defineConfig({ _base_: './cifar10_knn.ts', trainDataloader: cifar10Loader(views) });
