/**
 * ImageNet-1k with the mocov2 augmentation of MMSelfSup's configs/selfsup/_base_/datasets (RGB,
 * ImageNet statistics applied by the algorithm), every step with Pillow's arithmetic (`backend:
 * 'pillow'`, as MMSelfSup's PIL-based pipelines compute). `data/imagenet/train` is an ImageFolder.
 */
export default {
  trainDataloader: {
    batchSize: 32,
    numWorkers: 8,
    dataset: {
      type: 'ImageFolder',
      root: 'data/imagenet/train',
      pipeline: {
        type: 'MultiView',
        numViews: 2,
        transforms: [
          [
            {
              type: 'RandomResizedCrop',
              backend: 'pillow',
              size: 224,
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
                  backend: 'pillow',
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
              backend: 'pillow',
              prob: 0.2
            },
            {
              type: 'RandomGaussianBlur',
              backend: 'pillow',
              sigmaMin: 0.1,
              sigmaMax: 2.0,
              prob: 0.5
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
