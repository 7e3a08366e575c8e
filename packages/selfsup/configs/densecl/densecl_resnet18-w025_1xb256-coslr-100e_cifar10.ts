/**
 * densecl on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_mocov2.ts',
    '../_base_/models/resnet18-w025_cifar10.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts'
  ],
  model: {
    type: 'DenseCL',
    queueLen: 4096,
    featDim: 128,
    momentum: 0.99,
    lossLambda: 0.5,
    neck: {
      type: 'DenseCLNeck',
      inChannels: 128,
      hidChannels: 512,
      outChannels: 128
    },
    head: {
      type: 'ContrastiveHead',
      temperature: 0.2
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'SGD',
      lr: 0.06,
      momentum: 0.9,
      weightDecay: 0.0005
    }
  }
};
