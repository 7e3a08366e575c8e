/**
 * MMSelfSup 1.x's MaskFeat model (configs/selfsup/_base_/models/maskfeat_vit-base-p16.py): MaskFeatViT
 * ViT-B/16, a trunc-normal-initialised linear 768 → 108 per token, L2 on the HOG features of the masked
 * patches (9 bins, 8-px cells, 16-px Gaussian window).
 */
import { defineConfig, maskFeatModel } from 'selfsup/config';

export default defineConfig({ model: maskFeatModel({ arch: 'base', embedDim: 768, patchSize: 16 }) });
