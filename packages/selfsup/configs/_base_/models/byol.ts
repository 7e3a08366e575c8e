/**
 * The byol model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'BYOL',
    baseMomentum: 0.99,
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 4096,
      outChannels: 256,
      withBias: true,
      withLastBn: false,
      withAvgPool: true
    },
    head: {
      type: 'LatentPredictHead',
      loss: {
        type: 'CosineSimilarityLoss'
      },
      predictor: {
        type: 'NonLinearNeck',
        inChannels: 256,
        hidChannels: 4096,
        outChannels: 256,
        withBias: true,
        withLastBn: false,
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
