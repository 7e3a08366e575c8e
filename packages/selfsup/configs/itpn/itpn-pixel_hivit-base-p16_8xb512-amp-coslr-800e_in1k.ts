/**
 * mmpretrain's iTPN pixel-target recipe (configs/itpn/itpn-pixel_hivit-base-p16_8xb512-amp-coslr-800e_in1k.py
 * over _base_/models/itpn_hivit-base-p16.py): an iTPNHiViT-B (mask ratio 0.75), the pyramid decoder
 * (fpn 256 wide, 2 blocks per level, 3 levels; a 6-block 512-wide decoder), MAE's normalised-pixel L2
 * head; 8 processes × 512, AdamW at 1.5e-4 × 4096/256 with betas (0.9, 0.95) and decay 0.05 (none on
 * norms, biases, position tables, mask token), 40 warm-up epochs then cosine to 800, mixed precision.
 * Its lr is written for a total batch of 4096 (`auto_scale_lr`): `--auto-scale-lr` rescales it.
 */
import { adamw, defineConfig, epochs, noDecay, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/imagenet_mae.ts', '../_base_/default_runtime.ts'],
  model: {
    type: 'iTPN',
    backbone: { type: 'iTPNHiViT', arch: 'base', maskRatio: 0.75 },
    neck: {
      type: 'iTPNPretrainDecoder',
      numPatches: 196,
      patchSize: 16,
      inChans: 3,
      embedDim: 512,
      decoderEmbedDim: 512,
      decoderDepth: 6,
      decoderNumHeads: 16,
      mlpRatio: 4,
      fpnDim: 256,
      fpnDepth: 2,
      numOuts: 3,
    },
    head: { type: 'MAEPretrainHead', normPix: true, patchSize: 16, loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  },
  trainDataloader: { batchSize: 512 },
  autoScaleLr: { baseBatchSize: 4096 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: adamw((1.5e-4 * 4096) / 256, 0.05),
    paramwiseCfg: noDecay(['norm', 'bias', 'pos_embed', 'mask_token']),
  },
  paramScheduler: warmupCosine(40, 800),
  trainCfg: epochs(800),
  randomness: { seed: 0 },
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 3 } },
});
