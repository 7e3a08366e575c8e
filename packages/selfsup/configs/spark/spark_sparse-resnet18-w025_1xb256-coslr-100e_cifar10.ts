/**
 * SparK on CIFAR-10, CPU-sized (batch 256 on one process): the ¼-width ResNet-18 with the CIFAR
 * stem made sparse, its last three stages (32, 64, 128 channels at 16, 8, 4 px) densified with
 * mask tokens, 60 % of the 8-px patches (a 4×4 grid) masked, a light decoder from 64 channels
 * upsampling 8×; the ImageNet recipe's optimisation at this batch size (LAMB at 2e-4 per 512
 * images, decay 0.04 growing to 0.2, none on biases, 1-D parameters and mask tokens, clip 5)
 * over 100 epochs (5 warm-up). MAE's views at 32 px.
 */
import { cifar10Loader, defineConfig, maeViews, warmupCosine } from 'selfsup/config';

const BATCH = 256;
export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_knn.ts', '../_base_/default_runtime.ts', '../_base_/schedules/cifar10_coslr-100e.ts'],
  model: {
    type: 'SparK',
    inputSize: 32,
    downsampleRatio: 8,
    maskRatio: 0.6,
    encDecNormDim: 128,
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: {
      type: 'SparseResNet',
      depth: 18,
      widthMultiplier: 0.25,
      cifarStem: true,
      outIndices: [1, 2, 3],
      dropPathRate: 0.05,
    },
    neck: { type: 'SparKLightDecoder', featureDim: 64, upsampleRatio: 8 },
    head: { type: 'SparKPretrainHead', patchSize: 8, loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  },
  trainDataloader: cifar10Loader(maeViews({ size: 32 })),
  optimWrapper: {
    optimizer: { type: 'LAMB', lr: (2e-4 * BATCH) / 512, betas: [0.9, 0.95], weightDecay: 0.04 },
    clipGrad: { maxNorm: 5 },
    paramwiseCfg: { biasDecayMult: 0, flatDecayMult: 0, customKeys: { mask_token: { decayMult: 0 } } },
  },
  paramScheduler: [
    ...warmupCosine(5, 100),
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 100, byEpoch: true, begin: 0, end: 100, convertToIterBased: true },
  ],
});
