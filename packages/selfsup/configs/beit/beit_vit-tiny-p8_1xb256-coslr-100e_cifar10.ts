/**
 * BEiT v1 on CIFAR-10, CPU-sized (batch 256 on one process): BEiTViT-Tiny on 8-px patches (a 4 × 4
 * grid), the released DALL-E encoder on the 32-px second view (its 8-px cells give the same grid),
 * 6 of 16 patches masked. MMSelfSup's optimizer at 1.5e-3 / 8 (its lr per 256 images), warm-up over
 * the first 10 of 100 epochs as its 10 of 300 are a few percent.
 */
import { defineConfig, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: [
    '../_base_/models/beit_vit-base-p16.ts',
    '../_base_/datasets/cifar10_beit.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts',
  ],
  model: {
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: { arch: 'tiny', imgSize: 32, patchSize: 8 },
    head: { embedDims: 192 },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1.5e-3 / 8, betas: [0.9, 0.999], weightDecay: 0.05 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: {
      normDecayMult: 0,
      customKeys: { bias: { decayMult: 0 }, gamma: { decayMult: 0 }, cls_token: { decayMult: 0 } },
    },
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-4, etaMin: 1e-5 }),
});
