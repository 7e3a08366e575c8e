/**
 * mmpretrain's SparK ConvNeXt-S recipe (configs/spark/spark_sparse-convnext-small_16xb256-amp-coslr-800e_in1k.py):
 * 60 % of the 32-px patches of a 224-px image masked, a sparse ConvNeXt-S (layer scale 1e-6,
 * stochastic depth 0.2) returning its four un-pooled stage maps, sparse LayerNorms (eps 1e-6) and
 * mask tokens from 768 channels down, the light decoder from 512 channels, normalised-pixel L2 on
 * the masked patches. 16 processes × 256 with MAE's views, LAMB at 2e-4 × 4096/512 with betas
 * (0.9, 0.95) and decay 0.04 (none on biases, 1-D parameters and mask tokens), gradients clipped
 * at 5, mixed precision; 40 warm-up epochs then cosine to 800, while the weight decay grows along
 * a cosine to 0.2. The decoder's BNs are synchronised (`syncBn`, mmpretrain's SyncBN).
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/imagenet_mae.ts', '../_base_/default_runtime.ts'],
  model: {
    type: 'SparK',
    inputSize: 224,
    downsampleRatio: 32,
    maskRatio: 0.6,
    encDecNormCfg: { type: 'SparseLN2d', eps: 1e-6 },
    encDecNormDim: 768,
    backbone: { type: 'SparseConvNeXt', arch: 'small', dropPathRate: 0.2, outIndices: [0, 1, 2, 3], gapBeforeOutput: false },
    neck: { type: 'SparKLightDecoder', featureDim: 512, upsampleRatio: 32, midChannels: 0, lastAct: false },
    head: { type: 'SparKPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  },
  trainDataloader: { batchSize: 256 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'LAMB', lr: (2e-4 * 4096) / 512, betas: [0.9, 0.95], weightDecay: 0.04 },
    clipGrad: { maxNorm: 5 },
    paramwiseCfg: { biasDecayMult: 0, flatDecayMult: 0, customKeys: { mask_token: { decayMult: 0 } } },
  },
  paramScheduler: [
    ...warmupCosine(40, 800),
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 800, byEpoch: true, begin: 0, end: 800, convertToIterBased: true },
  ],
  trainCfg: epochs(800),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 2 } },
  syncBn: true,
});
