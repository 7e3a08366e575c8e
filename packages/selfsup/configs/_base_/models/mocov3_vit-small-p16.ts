/**
 * MMSelfSup 1.x's MoCo v3 ViT model (configs/selfsup/_base_/models/mocov3_vit-small-p16.py): MoCo v3's
 * ViT-S/16 (12 heads) at 224 with a frozen patch projection, a 3-layer 4096-wide projector on the class
 * token, a predictor with a last BN, InfoNCE at τ 0.2 (×2τ).
 */
import { defineConfig, mocoV3Model } from 'selfsup/config';

export default defineConfig({
  model: {
    ...mocoV3Model({ inChannels: 384, hidChannels: 4096, outChannels: 256, temperature: 0.2, vit: true }),
    backbone: { type: 'MoCoV3ViT', arch: 'mocov3-small', imgSize: 224, patchSize: 16, stopGradConv1: true },
  },
});
