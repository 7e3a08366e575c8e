/**
 * vicreg on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_byol.ts',
    '../_base_/models/resnet18-w025_cifar10.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts'
  ],
  model: {
    type: 'VICReg',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 128,
      hidChannels: 1024,
      outChannels: 1024,
      numLayers: 3,
      withBias: true,
      withLastBn: false,
      withLastBias: true,
      withAvgPool: true
    },
    head: {
      type: 'VICRegHead'
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'LARS',
      lr: 0.3,
      momentum: 0.9,
      weightDecay: 1e-05
    },
    paramwiseCfg: {
      customKeys: {
        bn: {
          decayMult: 0,
          larsExclude: true
        },
        bias: {
          decayMult: 0,
          larsExclude: true
        }
      }
    }
  }
};
