/**
 * simsiam on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
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
    type: 'SimSiam',
    neck: {
      type: 'NonLinearNeck',
      inChannels: 128,
      hidChannels: 512,
      outChannels: 512,
      numLayers: 3,
      withLastBnAffine: false,
      withAvgPool: true
    },
    head: {
      type: 'LatentPredictHead',
      loss: {
        type: 'CosineSimilarityLoss'
      },
      predictor: {
        type: 'NonLinearNeck',
        inChannels: 512,
        hidChannels: 128,
        outChannels: 512,
        withAvgPool: false,
        withLastBn: false,
        withLastBias: true
      }
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'SGD',
      lr: 0.06,
      momentum: 0.9,
      weightDecay: 0.0005
    },
    paramwiseCfg: {
      customKeys: {
        predictor: {
          fixLr: true
        }
      }
    }
  },
  customHooks: [
    {
      type: 'SimSiamHook',
      fixPredLr: true,
      lr: 0.06,
      adjustByEpoch: false
    }
  ]
};
