/**
 * PixMIM on CIFAR-10, CPU-sized: the CIFAR MAE (ViT-Tiny on 4-px patches) regressing the image
 * low-passed at radius 6 (PixMIM's 40 of 224, scaled to 32 px), with PixMIM's padded random crop.
 */
import { defineConfig, pixmimModel, pixmimViews } from 'selfsup/config';

export default defineConfig({
  _base_: '../mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts',
  model: pixmimModel({
    patchSize: 4,
    imgSize: 32,
    vit: { embedDim: 192, depth: 12, numHeads: 3 },
    decoder: { embedDim: 128, depth: 2, numHeads: 4 },
    radius: 6,
  }),
  trainDataloader: { dataset: { pipeline: pixmimViews({ size: 32 }) } },
});
