/**
 * MMSelfSup 1.x's CAE model (configs/selfsup/_base_/models/cae.py): CAEViT ViT-B/16 with layer scale
 * 0.1 and q/v biases (MMSelfSup's `qkv_bias=False`), CAENeck with 4 regressor and 4 decoder blocks of
 * 12 heads (layer scale 0.1, 75 mask tokens: the 75 of 196 patches the views mask), CAELoss with
 * λ = 2, a teacher at momentum 0. `CAEDataPreprocessor`'s normalisation: mean (124, 117, 104), std
 * (59, 58, 58) on the image, x/255·0.8 + 0.1 on DALL-E's view (secondMean −31.875, secondStd 318.75).
 * The DALL-E encoder's weights are the user's file (docs/algorithms.md, "BEiT tokenizers").
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'CAE',
    dataPreprocessor: {
      mean: [124, 117, 104],
      std: [59, 58, 58],
      secondMean: [-31.875, -31.875, -31.875],
      secondStd: [318.75, 318.75, 318.75],
    },
    backbone: { type: 'CAEViT', arch: 'base', patchSize: 16, layerScaleInit: 0.1, qvBias: true },
    neck: {
      type: 'CAENeck',
      patchSize: 16,
      embedDims: 768,
      numHeads: 12,
      regressorDepth: 4,
      decoderDepth: 4,
      mlpRatio: 4,
      layerScaleInit: 0.1,
      maskTokensNum: 75,
    },
    head: { type: 'CAEHead', loss: { type: 'CAELoss', lambd: 2 } },
    targetGenerator: { type: 'DALL-E', tokenizerPath: 'data/tokenizers/dalle_encoder.pth' },
    baseMomentum: 0,
  },
});
