/**
 * MFF on CIFAR-10, CPU-sized: the CIFAR MAE (ViT-Tiny on 4-px patches, 12 blocks) with an MFFViT
 * fusing blocks 1, 3, 5, 7, 9, 11 (the 300-epoch recipe's), and MFF's padded random crop at 32 px.
 */
import { defineConfig, mffModel, pixmimViews } from 'selfsup/config';

export default defineConfig({
  _base_: '../mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts',
  model: mffModel({
    patchSize: 4,
    imgSize: 32,
    vit: { embedDim: 192, depth: 12, numHeads: 3 },
    decoder: { embedDim: 128, depth: 2, numHeads: 4 },
    outIndices: [1, 3, 5, 7, 9, 11],
  }),
  trainDataloader: { dataset: { pipeline: pixmimViews({ size: 32 }) } },
});
