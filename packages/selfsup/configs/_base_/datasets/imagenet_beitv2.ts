/**
 * ImageNet-1k (`data/imagenet/train`) with BEiT v2's views (MMSelfSup's imagenet_beitv2.py): the
 * 224-px image and VQ-KD's 224-px view of the same crop, a block-wise mask of 75 of 196 patches;
 * batch 256 per process.
 */
import { beitV2Views, defineConfig, imagenetLoader } from 'selfsup/config';

export default defineConfig({ trainDataloader: { ...imagenetLoader(beitV2Views()), batchSize: 256 } });
