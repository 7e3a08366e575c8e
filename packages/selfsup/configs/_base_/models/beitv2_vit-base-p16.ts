/**
 * MMSelfSup 1.x's BEiT v2 model (configs/selfsup/_base_/models/beitv2_vit-base-p16.py, with the
 * TwoNormDataPreprocessor of imagenet_beitv2.py): BEiTViT ViT-B/16 returning layers 9 and 12 (no final
 * norm), BEiTV2Neck (2 blocks on the last class token + layer-9 patch tokens), BEiTV2Head over VQ-KD's
 * 8192 codes; stochastic depth 0 (MMSelfSup: 0 for 300 epochs, 0.1 for 1600). The VQ-KD weights are
 * the user's file (docs/algorithms.md, "BEiT tokenizers"); its view is normalised to [−1, 1].
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'BEiT',
    dataPreprocessor: {
      mean: [123.675, 116.28, 103.53],
      std: [58.395, 57.12, 57.375],
      secondMean: [127.5, 127.5, 127.5],
      secondStd: [127.5, 127.5, 127.5],
    },
    backbone: {
      type: 'BEiTViT',
      arch: 'base',
      patchSize: 16,
      outIndices: [-4, -1],
      dropPathRate: 0,
      finalNorm: false,
      layerScaleInit: 0.1,
    },
    neck: { type: 'BEiTV2Neck', numLayers: 2, earlyLayers: 9, backboneArch: 'base', dropPathRate: 0, layerScaleInit: 0.1 },
    head: { type: 'BEiTV2Head', embedDims: 768, numEmbed: 8192, loss: { type: 'BEiTLoss' } },
    targetGenerator: {
      type: 'VQKD',
      tokenizerPath: 'data/tokenizers/vqkd_encoder.pth',
      encoderConfig: { arch: 'base', imgSize: 224, patchSize: 16, absPosEmbed: true, layerScaleInit: 0, finalNorm: true },
      numEmbed: 8192,
      embedDims: 32,
    },
  },
});
