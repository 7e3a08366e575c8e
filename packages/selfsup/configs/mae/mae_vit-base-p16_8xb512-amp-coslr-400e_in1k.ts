/**
 * MMSelfSup's MAE ViT-B/16 recipe (configs/selfsup/mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py):
 * 8 processes × 512, AdamW at 1.5e-4 × 4096/256 with betas (0.9, 0.95) and decay 0.05 (none on norms,
 * biases, position tables and tokens), 40 warm-up epochs then cosine, mixed precision. Its lr is
 * written for a total batch of 4096 (MMSelfSup's `auto_scale_lr`): `--auto-scale-lr` rescales it.
 */
import { adamw, defineConfig, epochs, MAE_NO_DECAY, noDecay, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/mae_vit-base-p16.ts', '../_base_/datasets/imagenet_mae.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 512 },
  autoScaleLr: { baseBatchSize: 4096 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: adamw((1.5e-4 * 4096) / 256, 0.05),
    paramwiseCfg: noDecay(MAE_NO_DECAY),
  },
  paramScheduler: warmupCosine(40, 400),
  trainCfg: epochs(400),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 3 } },
});
