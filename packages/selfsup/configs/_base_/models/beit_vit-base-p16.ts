/**
 * MMSelfSup 1.x's BEiT v1 model (configs/selfsup/_base_/models/beit_vit-base-p16.py, with the
 * TwoNormDataPreprocessor of its ImageNet dataset config): BEiTViT ViT-B/16 (shared relative position
 * bias, layer scale 0.1, stochastic depth 0.1, final norm), BEiTV1Head over DALL-E's 8192 tokens. The
 * DALL-E encoder's weights are the user's file (docs/algorithms.md, "BEiT tokenizers"); the second view
 * is normalised as MMSelfSup does, (x + 20.4) / 204.
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'BEiT',
    dataPreprocessor: {
      mean: [123.675, 116.28, 103.53],
      std: [58.395, 57.12, 57.375],
      secondMean: [-20.4, -20.4, -20.4],
      secondStd: [204, 204, 204],
    },
    backbone: { type: 'BEiTViT', arch: 'base', patchSize: 16, dropPathRate: 0.1, finalNorm: true, layerScaleInit: 0.1 },
    head: { type: 'BEiTV1Head', embedDims: 768, numEmbed: 8192, loss: { type: 'BEiTLoss' } },
    targetGenerator: { type: 'DALL-E', tokenizerPath: 'data/tokenizers/dalle_encoder.pth' },
  },
});
