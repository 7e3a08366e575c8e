/**
 * CIFAR-10 (32 px) with BEiT v1's views: the image and DALL-E's view both at 32 px (the tokenizer's
 * 8-px cells then give the 4 × 4 grid of 8-px patches), 6 of the 16 patches masked.
 */
import { beitV1Views, cifar10Loader, defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(beitV1Views({ size: 32, secondSize: 32, patchSize: 8 })),
});
