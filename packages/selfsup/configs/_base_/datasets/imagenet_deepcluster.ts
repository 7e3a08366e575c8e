/**
 * MMSelfSup 1.x's imagenet_deepcluster.py: one view (RandomResizedCrop 224, flip, rotation ±2°,
 * ColorJitter 0.4/0.4/1.0/0.5, grayscale 0.2), batch 64 per process, and the DeepClusterHook that
 * clusters the train images (Resize 256 + CenterCrop 224) into 10 000 clusters every epoch
 * (PCA-whitened to 256 dims), with class-balanced sampling.
 */
import { colorJitter, defineConfig, flip, grayscale, imagenetLoader, randomResizedCrop } from 'selfsup/config';

const train = { type: 'ImageFolder' as const, root: 'data/imagenet/train' };

export default defineConfig({
  trainDataloader: {
    ...imagenetLoader({
      type: 'MultiView',
      numViews: 1,
      transforms: [
        [
          randomResizedCrop(224, [0.08, 1], { backend: 'pillow' }),
          flip(),
          { type: 'RandomRotation', degrees: 2 },
          colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 1.0, hue: 0.5, backend: 'pillow' }),
          grayscale(0.2, 'pillow'),
        ],
      ],
    }),
    batchSize: 64,
    numWorkers: 4,
  },
  customHooks: [
    {
      type: 'DeepClusterHook',
      extractDataloader: {
        batchSize: 128,
        dataset: {
          ...train,
          pipeline: {
            type: 'MultiView',
            numViews: 1,
            transforms: [
              [
                { type: 'Resize', size: 256 },
                { type: 'CenterCrop', size: 224 },
              ],
            ],
          },
        },
      },
      clustering: { type: 'Kmeans', k: 10000, pcaDim: 256 },
      unifSampling: true,
      reweight: false,
      reweightPow: 0.5,
      initial: true,
      interval: 1,
    },
  ],
});
