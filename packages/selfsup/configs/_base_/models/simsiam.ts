/**
 * The simsiam model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'SimSiam',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 2048,
      outChannels: 2048,
      numLayers: 3,
      withLastBnAffine: false,
      withAvgPool: true
    },
    head: {
      type: 'LatentPredictHead',
      loss: {
        type: 'CosineSimilarityLoss'
      },
      predictor: {
        type: 'NonLinearNeck',
        inChannels: 2048,
        hidChannels: 512,
        outChannels: 2048,
        withAvgPool: false,
        withLastBn: false,
        withLastBias: true
      }
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
