/**
 * mmpretrain's SparK ResNet-50 model (configs/spark/spark_sparse-resnet50_8xb512-amp-coslr-800e_in1k.py):
 * 60 % of the 32-px patches of a 224-px image masked, a sparse ResNet-50 returning its four stages
 * (stochastic depth 0.05), sparse BNs and mask tokens from 2048 channels down, the light decoder
 * from 512 channels, normalised-pixel L2 on the masked patches.
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'SparK',
    inputSize: 224,
    downsampleRatio: 32,
    maskRatio: 0.6,
    encDecNormDim: 2048,
    backbone: { type: 'SparseResNet', depth: 50, outIndices: [0, 1, 2, 3], dropPathRate: 0.05 },
    neck: { type: 'SparKLightDecoder', featureDim: 512, upsampleRatio: 32, midChannels: 0, lastAct: false },
    head: { type: 'SparKPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  },
});
