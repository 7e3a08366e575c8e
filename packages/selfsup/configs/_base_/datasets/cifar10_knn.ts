/** Online kNN on CIFAR-10 (`selfsup data prepare cifar10`): a class-balanced 5,000-image train subset against the test split. */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  knnMonitor: {
    interval: 5,
    train: { type: 'CIFAR10', root: 'data/cifar10', split: 'train', samplesPerClass: 500 },
    val: { type: 'CIFAR10', root: 'data/cifar10', split: 'test' },
    k: 200,
    temperature: 0.1,
  },
});
