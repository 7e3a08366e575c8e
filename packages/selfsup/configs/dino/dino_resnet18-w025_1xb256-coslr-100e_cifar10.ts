/**
 * dino on CIFAR-10, CPU-sized: ResNet-18 at ¼ width with the CIFAR stem (128 features), smaller
 * projector/predictor, 32 px, batch 256 on one process, 100 epochs with warm-up + cosine. The
 * quality benchmark (bench/quality.mjs) trains it for a fixed wall-clock budget.
 */
export default {
  _base_: [
    '../_base_/datasets/cifar10_dino.ts',
    '../_base_/default_runtime.ts'
  ],
  model: {
    type: 'DINO',
    baseMomentum: 0.996,
    neck: {
      type: 'DINONeck',
      inChannels: 128,
      hiddenChannels: 512,
      bottleneckChannels: 128,
      outChannels: 1024
    },
    head: {
      type: 'DINOHead',
      outChannels: 1024,
      numCrops: 6,
      studentTemp: 0.1,
      centerMomentum: 0.9,
      warmupTeacherTemp: 0.04,
      teacherTemp: 0.04,
      warmupTeacherTempEpochs: 0
    },
    dataPreprocessor: {
      mean: [
        125.307,
        122.961,
        113.8575
      ],
      std: [
        51.5865,
        50.847,
        51.255
      ]
    },
    backbone: {
      type: 'ResNet',
      depth: 18,
      widthMultiplier: 0.25,
      cifarStem: true,
      zeroInitResidual: true
    }
  },
  optimWrapper: {
    optimizer: {
      type: 'AdamW',
      lr: 0.0005,
      weightDecay: 0.04
    }
  },
  paramScheduler: [
    {
      type: 'LinearLR',
      startFactor: 0.0001,
      byEpoch: true,
      begin: 0,
      end: 5,
      convertToIterBased: true
    },
    {
      type: 'CosineAnnealingLR',
      byEpoch: true,
      begin: 5,
      end: 100,
      etaMin: 0,
      convertToIterBased: true
    }
  ],
  trainCfg: {
    type: 'EpochBasedTrainLoop',
    maxEpochs: 100
  },
  defaultHooks: {
    logger: {
      interval: 20
    },
    checkpoint: {
      interval: 5,
      maxKeepCkpts: 2,
      saveBest: 'knn_top1'
    }
  }
};
