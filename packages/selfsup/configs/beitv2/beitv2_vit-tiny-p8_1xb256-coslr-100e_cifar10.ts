/**
 * BEiT v2 on CIFAR-10, CPU-sized (batch 256 on one process): BEiTViT-Tiny on 8-px patches (a 4 × 4
 * grid) returning layers 9 and 12, BEiTV2Neck at the tiny width, the released ViT-B/16 VQ-KD on the
 * 64-px second view (the same 4 × 4 grid), 6 of 16 patches masked. MMSelfSup's optimizer at
 * 1.5e-3 / 8 (its lr per 256 images), 10 warm-up epochs of 100.
 */
import { defineConfig, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: [
    '../_base_/models/beitv2_vit-base-p16.ts',
    '../_base_/datasets/cifar10_beitv2.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts',
  ],
  model: {
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: { arch: 'tiny', imgSize: 32, patchSize: 8 },
    neck: { embedDim: 192, numHeads: 3 },
    head: { embedDims: 192 },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1.5e-3 / 8, betas: [0.9, 0.98], weightDecay: 0.05 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: {
      normDecayMult: 0,
      customKeys: { '.bias': { decayMult: 0 }, q_bias: { decayMult: 0 }, v_bias: { decayMult: 0 }, gamma: { decayMult: 0 } },
    },
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-4, etaMin: 1e-5 }),
});
