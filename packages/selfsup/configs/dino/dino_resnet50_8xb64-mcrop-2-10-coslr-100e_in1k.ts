/**
 * MMSelfSup's ImageNet-1k recipe for dino (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/dino.ts',
    '../_base_/datasets/imagenet_dino.ts',
    '../_base_/default_runtime.ts'
  ],
  trainDataloader: {
    batchSize: 64
  },
  optimWrapper: {
    optimizer: {
      type: 'LARS',
      lr: 0.3,
      momentum: 0.9,
      weightDecay: 1e-06
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
