/**
 * MMSelfSup's ImageNet-1k recipe for vicreg (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/vicreg.ts',
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
      end: 100,
      etaMin: 0,
      convertToIterBased: true
    }
  ],
  trainCfg: {
    type: 'EpochBasedTrainLoop',
    maxEpochs: 100
  },
  syncBn: true
};
