/** 100 epochs: 5 epochs of linear warm-up, then cosine to 0 (per iteration); checkpoints every 5 epochs, best by online kNN. */
export default {
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 5, convertToIterBased: true },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 5, end: 100, etaMin: 0, convertToIterBased: true },
  ],
  trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 100 },
  defaultHooks: { logger: { interval: 20 }, checkpoint: { interval: 5, maxKeepCkpts: 2, saveBest: 'knn_top1' } },
};
