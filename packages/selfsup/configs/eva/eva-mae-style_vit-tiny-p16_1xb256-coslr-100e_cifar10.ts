/**
 * EVA on CIFAR-10, CPU-sized: MAE's views at 64 px (the 32-px images upsampled by the crop) so that
 * the released CLIP ViT-B/16 teacher, run at 64 px with its position table resized to a 4 × 4 grid,
 * sees the backbone's patch grid; a ViT-Tiny (192 wide, 12 blocks, 3 heads) on 16-px patches keeping
 * 4 of the 16, a 2-block 128-wide decoder predicting CLIP's 512-d patch features, 2 − 2·cos on the
 * removed patches. AdamW at MAE's base rate 1.5e-4 × 256/256, 100 epochs (5 warm-up). The teacher's
 * weights are the user's (`--cfg-options model.targetGenerator.tokenizerPath=…`, docs/algorithms.md,
 * "CLIP teacher"); its forward is most of an iteration's cost.
 */
import { adamw, cifar10Loader, defineConfig, MAE_NO_DECAY, maeModel, maeViews, noDecay } from 'selfsup/config';

const mae = maeModel({
  patchSize: 16,
  imgSize: 64,
  vit: { embedDim: 192, depth: 12, numHeads: 3 },
  decoder: { embedDim: 128, depth: 2, numHeads: 4 },
});

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    type: 'EVA',
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: mae.backbone,
    neck: { ...mae.neck, predictFeatureDim: 512 },
    head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
    targetGenerator: { type: 'CLIPGenerator', tokenizerPath: 'checkpoints/clip_vit_base_16.pth', imgSize: 64 },
  },
  trainDataloader: cifar10Loader(maeViews({ size: 64 })),
  optimWrapper: { optimizer: adamw((1.5e-4 * 256) / 256, 0.05), paramwiseCfg: noDecay(MAE_NO_DECAY) },
});
