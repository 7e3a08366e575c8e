/**
 * MoCo v3 with a ViT on CIFAR-10, CPU-sized: a 6-block ViT-Tiny (192 wide, 3 heads) on 4-px patches
 * (an 8×8 grid at 32 px) with MoCo v3's frozen patch projection and fixed sine-cosine table, the ViT
 * recipe's 3-layer projector on the class token and predictor (1024 hidden, 128 out), τ 0.2; AdamW
 * with the ViT recipes' decay 0.1 and their rate scaled to batch 256 (2.4e-3 × 256/4096), 100 epochs
 * (5 warm-up). Views: MoCo v3's at 32 px without blur, cropping at (0.2, 1) (the ImageNet ViT
 * recipes' (0.08, 1) leaves too little of a 32 px image).
 */
import { adamw, cifar10Loader, defineConfig, mocoV3Model, mocoV3Views } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    ...mocoV3Model({ inChannels: 192, hidChannels: 1024, outChannels: 128, temperature: 0.2, vit: true }),
    backbone: {
      type: 'MoCoV3ViT',
      embedDim: 192,
      depth: 6,
      numHeads: 3,
      imgSize: 32,
      patchSize: 4,
      stopGradConv1: true,
    },
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
  },
  trainDataloader: cifar10Loader(mocoV3Views({ size: 32, blur: false })),
  optimWrapper: { optimizer: adamw((2.4e-3 * 256) / 4096, 0.1, [0.9, 0.999]) },
});
