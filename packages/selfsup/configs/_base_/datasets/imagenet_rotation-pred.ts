/**
 * ImageNet-1k (`data/imagenet/train`) with RotationPred's view (configs/selfsup/_base_/datasets/imagenet_rotation-pred.py):
 * RRC 224 and a flip as Pillow computes them, then the four quarter turns (labels 0–3); 16 images (64 rotations) per process.
 */
import { defineConfig, flip, imagenetLoader, randomResizedCrop } from 'selfsup/config';

export default defineConfig({
  trainDataloader: {
    ...imagenetLoader({
      type: 'MultiView',
      numViews: 1,
      transforms: [[randomResizedCrop(224, [0.08, 1], { backend: 'pillow' }), flip(), { type: 'RotationWithLabels' }]],
    }),
    batchSize: 16,
  },
});
