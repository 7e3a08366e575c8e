/**
 * MixMIM on CIFAR-10, CPU-sized: a 4-stage MixMIM encoder 32 wide ([1, 1, 2, 1] blocks, [1, 2, 4, 8]
 * heads, windows [4, 4, 4, 2]) on 2-px patches, so that 32-px images give MixMIM-B's 16×16 → 2×2
 * token grids (stride 16: four cells to mix), a 2-block 128-wide decoder; AdamW at MixMIM's base rate
 * 1.5e-4 × 256/256, 100 epochs (5 warm-up); MAE's view at 32 px.
 */
import { adamw, cifar10Loader, defineConfig, MIXMIM_NO_DECAY, maeViews, mixmimModel, noDecay } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    ...mixmimModel({
      imgSize: 32,
      patchSize: 2,
      encoder: { embedDim: 32, depths: [1, 1, 2, 1], numHeads: [1, 2, 4, 8], windowSize: [4, 4, 4, 2] },
      decoder: { embedDim: 128, depth: 2, numHeads: 4 },
    }),
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
  },
  trainDataloader: cifar10Loader(maeViews({ size: 32 })),
  optimWrapper: { optimizer: adamw((1.5e-4 * 256) / 256, 0.05), paramwiseCfg: noDecay(MIXMIM_NO_DECAY) },
});
