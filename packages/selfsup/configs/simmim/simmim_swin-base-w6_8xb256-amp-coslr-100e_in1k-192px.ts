/**
 * MMSelfSup's ImageNet-1k recipe for SimMIM (configs/selfsup/simmim/simmim_swin-base_8xb256-amp-coslr-100e_in1k-192.py,
 * mmpretrain's simmim_swin-base-w6_8xb256-amp-coslr-100e_in1k-192px.py): Swin-B at 192 px, AdamW at
 * 2e-4 per 512 images (8e-4 for the total batch 2048; the batch size is per process: launch with
 * --nproc-per-node 8), weight decay 0.05 except norms, biases and position tables, gradients clipped
 * at norm 5, 10 epochs of warm-up from 1e-6 then cosine to 1e-5 per 512 images, 100 epochs.
 */
import { defineConfig, epochs, noDecay, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/simmim_swin-base.ts', '../_base_/datasets/imagenet_simmim.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 256 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: (2e-4 * 2048) / 512, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 },
    clipGrad: { maxNorm: 5 },
    paramwiseCfg: noDecay(['norm', 'bias', 'absolute_pos_embed', 'relative_position_bias_table']),
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-6 / 2e-4, etaMin: (1e-5 * 2048) / 512 }),
  trainCfg: epochs(100),
  defaultHooks: { logger: { interval: 100 } },
});
