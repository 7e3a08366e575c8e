/**
 * MMSelfSup's ImageNet-1k recipe for simsiam (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/simsiam.ts',
    '../_base_/datasets/imagenet_mocov2.ts',
    '../_base_/default_runtime.ts'
  ],
  trainDataloader: {
    batchSize: 32
  },
  optimWrapper: {
    optimizer: {
      type: 'SGD',
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 0.0001
    },
    paramwiseCfg: {
      customKeys: {
        predictor: {
          fixLr: true
        }
      }
    }
  },
  paramScheduler: [
    {
      type: 'CosineAnnealingLR',
      byEpoch: true,
      begin: 0,
      end: 100,
      convertToIterBased: true
    }
  ],
  trainCfg: {
    type: 'EpochBasedTrainLoop',
    maxEpochs: 100
  },
  syncBn: true,
  customHooks: [
    {
      type: 'SimSiamHook',
      fixPredLr: true,
      lr: 0.05,
      adjustByEpoch: false
    }
  ]
};
