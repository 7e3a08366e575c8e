/**
 * The mocov3 model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'MoCoV3',
    baseMomentum: 0.99,
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 4096,
      outChannels: 256,
      numLayers: 2,
      withBias: false,
      withLastBn: true,
      withLastBnAffine: false,
      withLastBias: false,
      withAvgPool: true
    },
    head: {
      type: 'MoCoV3Head',
      temperature: 1.0,
      predictor: {
        type: 'NonLinearNeck',
        inChannels: 256,
        hidChannels: 4096,
        outChannels: 256,
        numLayers: 2,
        withBias: false,
        withLastBn: true,
        withLastBnAffine: false,
        withLastBias: false,
        withAvgPool: false
      }
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
