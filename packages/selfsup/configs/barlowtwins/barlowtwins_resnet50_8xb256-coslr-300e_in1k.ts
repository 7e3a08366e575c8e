/**
 * MMSelfSup's ImageNet-1k recipe for barlowtwins (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/barlowtwins.ts',
    '../_base_/datasets/imagenet_byol.ts',
    '../_base_/default_runtime.ts'
  ],
  trainDataloader: {
    batchSize: 256
  },
  optimWrapper: {
    optimizer: {
      type: 'LARS',
      lr: 1.6,
      momentum: 0.9,
      weightDecay: 1e-06
    },
    paramwiseCfg: {
      customKeys: {
        bn: {
          decayMult: 0,
          larsExclude: true,
          lrMult: 0.024
        },
        bias: {
          decayMult: 0,
          larsExclude: true,
          lrMult: 0.024
        }
      }
    }
  },
  paramScheduler: [
    {
      type: 'LinearLR',
      startFactor: 0.0001,
      byEpoch: true,
      begin: 0,
      end: 10,
      convertToIterBased: true
    },
    {
      type: 'CosineAnnealingLR',
      byEpoch: true,
      begin: 10,
      end: 300,
      etaMin: 0,
      convertToIterBased: true
    }
  ],
  trainCfg: {
    type: 'EpochBasedTrainLoop',
    maxEpochs: 300
  },
  syncBn: true
};
