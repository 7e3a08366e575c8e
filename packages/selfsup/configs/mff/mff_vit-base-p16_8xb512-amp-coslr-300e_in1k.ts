/**
 * mmpretrain's MFF recipe (configs/mff/mff_vit-base-p16_8xb512-amp-coslr-300e_in1k.py): the
 * 300-epoch MAE ViT-B/16 one with an MFFViT fusing blocks 1, 3, 5, 7, 9, 11, and the resize +
 * reflect-padded random crop of PixMIM instead of MAE's RandomResizedCrop; seed 2.
 */
import { defineConfig, mffModel, pixmimViews } from 'selfsup/config';

export default defineConfig({
  _base_: '../mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.ts',
  model: mffModel({ arch: 'base', patchSize: 16, outIndices: [1, 3, 5, 7, 9, 11] }),
  trainDataloader: { dataset: { pipeline: pixmimViews({ size: 224 }) } },
  randomness: { seed: 2 },
});
