/**
 * swav on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_swav.ts',
    '../_base_/models/resnet18-w025_cifar10.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts'
  ],
  model: {
    type: 'SwAV',
    neck: {
      type: 'SwAVNeck',
      inChannels: 128,
      hidChannels: 512,
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
          4
        ],
        numPrototypes: 100,
        freezePrototypesIters: 300,
        queueLength: 0,
        epochQueueStarts: 15
      }
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'LARS',
      lr: 0.6,
      momentum: 0.9,
      weightDecay: 1e-06
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
