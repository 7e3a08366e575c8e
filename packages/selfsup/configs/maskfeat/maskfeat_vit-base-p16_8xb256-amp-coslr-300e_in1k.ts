/**
 * MMSelfSup's ImageNet-1k recipe for MaskFeat (configs/selfsup/maskfeat/maskfeat_vit-base-p16_8xb256-amp-coslr-300e_in1k.py;
 * the batch size is per process: launch with --nproc-per-node as the name says). AdamW at 2e-4 per
 * 256 images (×8), no decay on norms, biases and the mask token (MMSelfSup left the position embedding
 * and class token decayed: excluding them stalled the loss), gradients clipped at norm 0.02.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: [
    '../_base_/models/maskfeat_vit-base-p16.ts',
    '../_base_/datasets/imagenet_maskfeat.ts',
    '../_base_/default_runtime.ts',
  ],
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 2e-4 * 8, betas: [0.9, 0.999], weightDecay: 0.05 },
    clipGrad: { maxNorm: 0.02 },
    paramwiseCfg: { normDecayMult: 0, biasDecayMult: 0, customKeys: { mask_token: { decayMult: 0 } } },
  },
  paramScheduler: warmupCosine(30, 300, { startFactor: 1e-6 }),
  trainCfg: epochs(300),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 3 } },
});
