/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with MaskFeat's view and block-wise mask over the
 * 14 × 14 patch grid, batch 256 per process (MMSelfSup's imagenet_maskfeat.py); crops computed as Pillow does.
 */
import { defineConfig, imagenetLoader, maskFeatViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: { ...imagenetLoader(maskFeatViews({ backend: 'pillow' })), batchSize: 256 } });
