/**
 * ImageNet-1k (`data/imagenet/train`) with BEiT v1's views (MMSelfSup's imagenet_beit.py): the 224-px
 * image and DALL-E's 112-px Lanczos view of the same crop, a block-wise mask of 75 of 196 patches;
 * batch 256 per process.
 */
import { beitV1Views, defineConfig, imagenetLoader } from 'selfsup/config';

export default defineConfig({ trainDataloader: { ...imagenetLoader(beitV1Views()), batchSize: 256 } });
