/**
 * ImageNet-1k (`data/imagenet/train`) with CAE's views (MMSelfSup's imagenet_cae.py): flip, the 224-px
 * image and DALL-E's 112-px Lanczos view of one crop, a block-wise mask of 75 of 196 patches; batch
 * 256 per process.
 */
import { caeViews, defineConfig, imagenetLoader } from 'selfsup/config';

export default defineConfig({ trainDataloader: { ...imagenetLoader(caeViews()), batchSize: 256 } });
