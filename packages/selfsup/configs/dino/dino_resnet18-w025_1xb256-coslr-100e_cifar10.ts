/**
 * dino on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_dino.ts',
    '../_base_/models/resnet18-w025_cifar10.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts'
  ],
  model: {
    type: 'DINO',
    baseMomentum: 0.996,
    neck: {
      type: 'DINONeck',
      inChannels: 128,
      hiddenChannels: 512,
      bottleneckChannels: 128,
      outChannels: 1024
    },
    head: {
      type: 'DINOHead',
      outChannels: 1024,
      numCrops: 6,
      studentTemp: 0.1,
      centerMomentum: 0.9,
      warmupTeacherTemp: 0.04,
      teacherTemp: 0.04,
      warmupTeacherTempEpochs: 0
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'AdamW',
      lr: 0.0005,
      weightDecay: 0.04
    }
  }
};
