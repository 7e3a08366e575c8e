/**
 * CIFAR-10 (32 px) with the mocov2 augmentation, without Gaussian blur (it erases 32 px detail;
 * solo-learn and lightly drop it on CIFAR). `data/cifar10` as `selfsup data prepare cifar10` writes it; online
 * kNN from cifar10_knn.ts.
 */
export default {
  _base_: './cifar10_knn.ts',
  trainDataloader: {
    batchSize: 256,
    numWorkers: 2,
    dataset: {
      type: 'CIFAR10',
      root: 'data/cifar10',
      split: 'train',
      pipeline: {
        type: 'MultiView',
        numViews: 2,
        transforms: [
          [
            {
              type: 'RandomResizedCrop',
              size: 32,
              scale: [
                0.2,
                1
              ]
            },
            {
              type: 'RandomApply',
              transforms: [
                {
                  type: 'ColorJitter',
                  brightness: 0.4,
                  contrast: 0.4,
                  saturation: 0.4,
                  hue: 0.1
                }
              ],
              prob: 0.8
            },
            {
              type: 'RandomGrayscale',
              prob: 0.2
            },
            {
              type: 'RandomFlip',
              prob: 0.5
            }
          ]
        ]
      }
    }
  }
};
