/**
 * CIFAR-10 (32 px) with CAE's views: the image and DALL-E's view both at 32 px (the tokenizer's 8-px
 * cells then give the 4 × 4 grid of 8-px patches), 6 of the 16 patches masked. The mask is
 * SimMIMMaskGenerator's (exactly 6 single patches) rather than BEiT's block-wise one: CAE's regressor
 * needs the same count in every image, and on a 4 × 4 grid BEiT's generator stops short of it about
 * once per 1e5 images, which would end a run with an error.
 */
import { caeViews, cifar10Loader, defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './cifar10_knn.ts',
  trainDataloader: cifar10Loader(caeViews({ size: 32, secondSize: 32, patchSize: 8, exactMask: true })),
});
