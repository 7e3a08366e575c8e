/**
 * CIFAR-10 (32 px) with BEiT v2's views: the 32-px image and VQ-KD's view of the same crop at 64 px
 * (the released ViT-B/16 tokenizer then gives the 4 × 4 grid of the backbone's 8-px patches), 6 of
 * the 16 patches masked.
 */
import { beitV2Views, cifar10Loader, defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(beitV2Views({ size: 32, secondSize: 64, patchSize: 8 })),
});
