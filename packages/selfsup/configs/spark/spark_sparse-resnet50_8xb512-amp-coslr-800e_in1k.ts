/**
 * mmpretrain's SparK ResNet-50 recipe (configs/spark/spark_sparse-resnet50_8xb512-amp-coslr-800e_in1k.py):
 * 8 processes × 512 with MAE's views, LAMB at 2e-4 × 4096/512 with betas (0.9, 0.95) and decay 0.04
 * (none on biases, 1-D parameters and mask tokens), gradients clipped at 5, mixed precision; 40
 * warm-up epochs then cosine, while the weight decay grows along a cosine to 0.2. The decoder's
 * BNs are synchronised (`syncBn`, mmpretrain's SyncBN); the sparse BNs synchronise themselves.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/spark_sparse-resnet50.ts', '../_base_/datasets/imagenet_mae.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 512 },
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
