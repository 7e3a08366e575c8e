/**
 * CIFAR-10 with RelativeLoc's view at ¼ of MMSelfSup's geometry: resized to 73 × 73 (292 / 4), a
 * random 63 crop, greyscale 0.66, then the 3 × 3 grid of 16 px patches with jitter 5 (cells of 21 px).
 */
import { cifar10Loader, defineConfig, grayscale } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader({
    type: 'MultiView',
    numViews: 1,
    transforms: [
      [
        { type: 'Resize', size: [73, 73] },
        { type: 'RandomCrop', size: 63 },
        grayscale(0.66),
        { type: 'RandomPatchWithLabels', gridSize: 3, jitter: 5 },
      ],
    ],
  }),
});
