/**
 * MMSelfSup's ImageNet-1k recipe for swav (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/swav.ts',
    '../_base_/datasets/imagenet_swav.ts',
    '../_base_/default_runtime.ts'
  ],
  trainDataloader: {
    batchSize: 32
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
  },
  paramScheduler: [
    {
      type: 'CosineAnnealingLR',
      byEpoch: true,
      begin: 0,
      end: 200,
      convertToIterBased: true
    }
  ],
  trainCfg: {
    type: 'EpochBasedTrainLoop',
    maxEpochs: 200
  },
  syncBn: true
};
