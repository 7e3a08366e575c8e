/**
 * simclr on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_simclr.ts',
    '../_base_/models/resnet18-w025_cifar10.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts'
  ],
  model: {
    type: 'SimCLR',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 128,
      hidChannels: 512,
      outChannels: 128,
      numLayers: 2,
      withAvgPool: true
    },
    head: {
      type: 'ContrastiveHead',
      temperature: 0.2
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'SGD',
      lr: 0.3,
      momentum: 0.9,
      weightDecay: 0.0005
    }
  }
};
