/**
 * CAE on CIFAR-10, CPU-sized (batch 256 on one process): CAEViT-Tiny on 8-px patches (a 4 × 4 grid),
 * the released DALL-E encoder on the 32-px second view (its 8-px cells give the same grid), 6 of 16
 * patches masked in every image (so the neck's 6 mask tokens), the neck at the backbone's width (192,
 * 3 heads) with MMSelfSup's 4 regressor and 4 decoder blocks. MMSelfSup's optimizer at 1.5e-3 / 8 (its lr per 256 of its
 * 2048 images), warm-up over the first 10 of 100 epochs as its 10 of 300 are a few percent.
 */
import { defineConfig, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: [
    '../_base_/models/cae_vit-base-p16.ts',
    '../_base_/datasets/cifar10_cae.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts',
  ],
  model: {
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: { arch: 'tiny', imgSize: 32, patchSize: 8 },
    neck: { patchSize: 8, embedDims: 192, numHeads: 3, maskTokensNum: 6 },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1.5e-3 / 8, betas: [0.9, 0.999], weightDecay: 0.01 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: { biasDecayMult: 0, normDecayMult: 0, flatDecayMult: 0 },
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-4, etaMin: 1e-5 }),
});
