/**
 * iTPN (pixel target) on CIFAR-10, CPU-sized: an iTPNHiViT-Tiny at half width (192 wide as ViT-Tiny,
 * stages 1/1/10, 3 heads of 64) on 4-px patches (an 8×8 grid at 32 px, 1-px inner patches), a pyramid
 * 128 wide with one block per level and a 2-block 128-wide decoder. On 2 CPU cores a batch of 128 takes
 * 3.3 s (full-width HiViT-Tiny, 384: 6.1 s; MAE's ViT-Tiny/4: 2.2 s). AdamW at MAE's base rate
 * 1.5e-4 × 256/256, 100 epochs (5 warm-up). The views are MAE's at 32 px (bicubic RRC (0.2, 1), flip).
 */
import { adamw, cifar10Loader, defineConfig, maeViews, noDecay } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    type: 'iTPN',
    backbone: { type: 'iTPNHiViT', arch: 'tiny', embedDims: 192, numHeads: 3, imgSize: 32, patchSize: 4 },
    neck: {
      type: 'iTPNPretrainDecoder',
      numPatches: 64,
      patchSize: 4,
      embedDim: 192,
      fpnDim: 128,
      fpnDepth: 1,
      decoderEmbedDim: 128,
      decoderDepth: 2,
      decoderNumHeads: 4,
    },
    head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
  },
  trainDataloader: cifar10Loader(maeViews({ size: 32 })),
  optimWrapper: {
    optimizer: adamw((1.5e-4 * 256) / 256, 0.05),
    paramwiseCfg: noDecay(['norm', 'bias', 'pos_embed', 'mask_token']),
  },
});
