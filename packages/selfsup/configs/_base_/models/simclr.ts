/**
 * The simclr model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'SimCLR',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 2048,
      outChannels: 128,
      numLayers: 2,
      withAvgPool: true
    },
    head: {
      type: 'ContrastiveHead',
      temperature: 0.1
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
