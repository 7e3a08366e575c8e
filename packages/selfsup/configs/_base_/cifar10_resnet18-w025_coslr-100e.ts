/**
 * What every CPU-sized CIFAR-10 recipe shares: the ¼-width ResNet-18 with the CIFAR stem, the
 * runtime defaults, and 100 epochs of warm-up + cosine with the best checkpoint by online kNN.
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: ['./models/resnet18-w025_cifar10.ts', './default_runtime.ts', './schedules/cifar10_coslr-100e.ts'],
});
