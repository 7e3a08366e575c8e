/**
 * MMSelfSup's MixMIM recipe (configs/selfsup/mixmim/mixmim_mixmim-base_16xb128-coslr-300e_in1k.py, as
 * mmpretrain keeps it): MixMIM-B on 224-px images, 16 processes × 128, AdamW at 1.5e-4 × 2048/256
 * with betas (0.9, 0.95) and decay 0.05 (none on 'ln' and 'bias'), 40 warm-up epochs then cosine to
 * 300, full precision; MAE's view (bicubic RRC (0.2, 1), flip, as Pillow computes them); seed 0.
 */
import {
  adamw,
  defineConfig,
  epochs,
  imagenetLoader,
  MIXMIM_NO_DECAY,
  maeViews,
  mixmimModel,
  noDecay,
  warmupCosine,
} from 'selfsup/config';

export default defineConfig({
  _base_: '../_base_/default_runtime.ts',
  model: mixmimModel({ arch: 'base' }),
  trainDataloader: { ...imagenetLoader(maeViews({ backend: 'pillow' })), batchSize: 128 },
  optimWrapper: {
    type: 'OptimWrapper',
    optimizer: adamw((1.5e-4 * 2048) / 256, 0.05),
    paramwiseCfg: noDecay(MIXMIM_NO_DECAY),
  },
  paramScheduler: warmupCosine(40, 300),
  trainCfg: epochs(300),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 10, maxKeepCkpts: 1 } },
  randomness: { seed: 0 },
});
