/**
 * The barlowtwins model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'BarlowTwins',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 8192,
      outChannels: 8192,
      numLayers: 3,
      withLastBn: false,
      withLastBias: false,
      withAvgPool: true
    },
    head: {
      type: 'LatentCrossCorrelationHead',
      inChannels: 8192,
      loss: {
        type: 'CrossCorrelationLoss'
      }
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
