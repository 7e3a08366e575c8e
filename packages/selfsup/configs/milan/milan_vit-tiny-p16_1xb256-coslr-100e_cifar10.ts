/**
 * MILAN on CIFAR-10, CPU-sized, on the EVA recipe's views, sizes and teacher: MAE's views at 64 px
 * (the 32-px images upsampled by the crop) so that the released CLIP ViT-B/16 teacher, run at 64 px
 * with its position table resized to a 4 × 4 grid, sees the backbone's patch grid; a MILANViT-Tiny
 * (192 wide, 12 blocks, 3 heads) on 16-px patches keeping the 4 of 16 patches drawn by CLIP's
 * class-token attention, a 2-block 128-wide prompting decoder predicting CLIP's 512-d features of
 * all tokens, 2 − 2·cos. AdamW at MAE's base rate
 * 1.5e-4 × 256/256, 100 epochs (5 warm-up). The teacher's weights are the user's
 * (`--cfg-options model.targetGenerator.tokenizerPath=…`, docs/algorithms.md, "CLIP teacher"); its
 * forward is most of an iteration's cost.
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: '../eva/eva-mae-style_vit-tiny-p16_1xb256-coslr-100e_cifar10.ts',
  model: {
    type: 'MILAN',
    backbone: { type: 'MILANViT' },
    neck: { type: 'MILANPretrainDecoder' },
  },
});
