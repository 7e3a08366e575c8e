/**
 * ImageNet-1k (`data/imagenet/train`) with RelativeLoc's view (configs/selfsup/_base_/datasets/imagenet_relative-loc.py):
 * resized to 292 × 292 (mmcv's Resize of an int scale ignores the aspect ratio), a random 255 crop,
 * greyscale with probability 0.66 (colour dropping), then the 3 × 3 grid of 64 px patches with
 * jitter 21 (centre + 8 labelled neighbours); 64 images per process.
 */
import { defineConfig, grayscale, imagenetLoader } from 'selfsup/config';

export default defineConfig({
  trainDataloader: {
    ...imagenetLoader({
      type: 'MultiView',
      numViews: 1,
      transforms: [
        [
          { type: 'Resize', size: [292, 292] },
          { type: 'RandomCrop', size: 255 },
          grayscale(0.66),
          { type: 'RandomPatchWithLabels', gridSize: 3, jitter: 21 },
        ],
      ],
    }),
    batchSize: 64,
  },
});
