/**
 * MAE on CIFAR-10, CPU-sized: a ViT-Tiny (192 wide, 12 blocks, 3 heads) on 4-px patches (an 8×8
 * grid at 32 px) with a 2-block 128-wide decoder; AdamW at MAE's base rate 1.5e-4 × 256/256, 100
 * epochs (5 warm-up). The views are MAE's at 32 px (bicubic RRC (0.2, 1), flip).
 */
import { adamw, cifar10Loader, defineConfig, MAE_NO_DECAY, maeModel, maeViews, noDecay } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    ...maeModel({
      patchSize: 4,
      imgSize: 32,
      vit: { embedDim: 192, depth: 12, numHeads: 3 },
      decoder: { embedDim: 128, depth: 2, numHeads: 4 },
    }),
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
  },
  trainDataloader: cifar10Loader(maeViews({ size: 32 })),
  optimWrapper: { optimizer: adamw((1.5e-4 * 256) / 256, 0.05), paramwiseCfg: noDecay(MAE_NO_DECAY) },
});
