/**
 * The dino model of MMSelfSup 1.x (configs/selfsup/_base_/models) with a ResNet-50 backbone.
 */
export default {
  model: {
    type: 'DINO',
    baseMomentum: 0.996,
    neck: {
      type: 'DINONeck',
      inChannels: 2048,
      hiddenChannels: 2048,
      bottleneckChannels: 256,
      outChannels: 65536
    },
    head: {
      type: 'DINOHead',
      outChannels: 65536,
      numCrops: 12,
      studentTemp: 0.1,
      centerMomentum: 0.9,
      warmupTeacherTemp: 0.04,
      teacherTemp: 0.07,
      warmupTeacherTempEpochs: 30
    },
    backbone: {
      type: 'ResNet',
      depth: 50,
      zeroInitResidual: true
    }
  }
};
