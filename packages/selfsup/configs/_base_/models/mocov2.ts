/**
 * The mocov2 model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'MoCo',
    queueLen: 65536,
    featDim: 128,
    momentum: 0.999,
    neck: {
      type: 'MoCoV2Neck',
      inChannels: 2048,
      hidChannels: 2048,
      outChannels: 128,
      withAvgPool: true
    },
    head: {
      type: 'ContrastiveHead',
      temperature: 0.2
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
