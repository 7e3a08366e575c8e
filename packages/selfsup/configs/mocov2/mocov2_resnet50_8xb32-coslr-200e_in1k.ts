/**
 * MMSelfSup's ImageNet-1k recipe for mocov2 (same numbers as its config; the batch size is per
 * process: launch with --nproc-per-node as the name says).
 */
export default {
  _base_: [
    '../_base_/models/mocov2.ts',
    '../_base_/datasets/imagenet_mocov2.ts',
    '../_base_/default_runtime.ts'
  ],
  trainDataloader: {
    batchSize: 32
  },
  optimWrapper: {
    optimizer: {
      type: 'SGD',
      lr: 0.03,
      momentum: 0.9,
      weightDecay: 0.0001
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
