/**
 * MMSelfSup's PixMIM recipe (configs/selfsup/pixmim/pixmim_vit-base-p16_8xb512-amp-coslr-300e_in1k.py):
 * the 300-epoch MAE ViT-B/16 one with a low-frequency target (radius 40) and PixMIM's resize +
 * padded random crop instead of MAE's RandomResizedCrop; seed 2.
 */
import { defineConfig, pixmimModel, pixmimViews } from 'selfsup/config';

export default defineConfig({
  _base_: '../mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.ts',
  model: pixmimModel({ arch: 'base', patchSize: 16, radius: 40 }),
  trainDataloader: { dataset: { pipeline: pixmimViews({ size: 224 }) } },
  randomness: { seed: 2 },
});
