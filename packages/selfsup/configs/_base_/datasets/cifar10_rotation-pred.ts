/** CIFAR-10 (32 px) with RotationPred's view at 32 px: RRC (0.08, 1) and a flip, then the four quarter turns (labels 0–3). */
import { cifar10Loader, defineConfig, flip, randomResizedCrop } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader({
    type: 'MultiView',
    numViews: 1,
    transforms: [[randomResizedCrop(32, [0.08, 1]), flip(), { type: 'RotationWithLabels' }]],
  }),
});
