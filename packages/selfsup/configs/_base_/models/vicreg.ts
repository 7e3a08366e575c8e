/**
 * The vicreg model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'VICReg',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 2048,
      hidChannels: 8192,
      outChannels: 8192,
      numLayers: 3,
      withBias: true,
      withLastBn: false,
      withLastBias: true,
      withAvgPool: true
    },
    head: {
      type: 'VICRegHead'
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
