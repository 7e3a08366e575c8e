/**
 * ImageNet-1k with ODC's one view (as Pillow computes it), batch 64 per process, and the ODCHook
 * that clusters the memory first from resize-256 / centre-crop-224 images (MMSelfSup's imagenet_odc.py).
 */
import { defineConfig, imagenetLoader, odcHook, odcViews } from 'selfsup/config';

export default defineConfig({
  trainDataloader: { ...imagenetLoader(odcViews({ backend: 'pillow' })), batchSize: 64 },
  customHooks: [
    odcHook({
      type: 'ImageFolder',
      root: 'data/imagenet/train',
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
    }),
  ],
});
