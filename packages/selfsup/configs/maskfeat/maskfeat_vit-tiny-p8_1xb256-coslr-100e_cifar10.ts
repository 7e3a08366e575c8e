/**
 * MaskFeat on CIFAR-10, CPU-sized (batch 256 on one process): ViT-Tiny on 8-px patches (a 4 × 4 grid;
 * 4-px patches cost about 5× more per image on a CPU), HOG of 4-px cells under an 8-px Gaussian
 * window (the patch, as 16 px is at 224), so 2 × 2 cells of 3·9 bins = 108 values per patch as at
 * ImageNet scale; 6 of the 16 patches masked. MMSelfSup's optimizer at its lr per 256 images (2e-4),
 * warm-up over the first 10% of the epochs as its 30 of 300.
 */
import { defineConfig, maskFeatModel, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_maskfeat.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    ...maskFeatModel({ arch: 'tiny', embedDim: 192, imgSize: 32, patchSize: 8, pool: 4, gaussianWindow: 8 }),
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 2e-4, betas: [0.9, 0.999], weightDecay: 0.05 },
    clipGrad: { maxNorm: 0.02 },
    paramwiseCfg: { normDecayMult: 0, biasDecayMult: 0, customKeys: { mask_token: { decayMult: 0 } } },
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-6 }),
});
