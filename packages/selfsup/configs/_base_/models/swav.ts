/**
 * The swav model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'SwAV',
    neck: {
      type: 'SwAVNeck',
      inChannels: 2048,
      hidChannels: 2048,
      outChannels: 128,
      withAvgPool: true,
      withL2norm: true
    },
    head: {
      type: 'SwAVHead',
      loss: {
        type: 'SwAVLoss',
        featDim: 128,
        epsilon: 0.05,
        temperature: 0.1,
        numCrops: [
          2,
          6
        ],
        numPrototypes: 3000,
        freezePrototypesIters: 5005,
        queueLength: 3840,
        epochQueueStarts: 15
      }
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
