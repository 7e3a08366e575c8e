/**
 * mmpretrain's MFF recipe for 800 epochs (configs/mff/mff_vit-base-p16_8xb512-amp-coslr-800e_in1k.py):
 * the 800-epoch MAE ViT-B/16 one with an MFFViT fusing blocks 0, 2, 4, 6, 8, 11 (not the 300-epoch
 * recipe's), the resize + reflect-padded random crop; seed 2.
 */
import { defineConfig, mffModel, pixmimViews } from 'selfsup/config';

export default defineConfig({
  _base_: '../mae/mae_vit-base-p16_8xb512-amp-coslr-800e_in1k.ts',
  model: mffModel({ arch: 'base', patchSize: 16, outIndices: [0, 2, 4, 6, 8, 11] }),
  trainDataloader: { dataset: { pipeline: pixmimViews({ size: 224 }) } },
  randomness: { seed: 2 },
});
