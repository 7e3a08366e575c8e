/**
 * RelativeLoc on CIFAR-10, CPU-sized: 128 images (1,024 patch pairs) per step, RelativeLocNeck
 * 2 × 128 → 512, SGD at MMSelfSup's 0.2 scaled to the batch (128 / 512 images), the recipe's 5 × weight
 * decay on neck and head, 100 epochs of warm-up + cosine.
 */
import { defineConfig, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_relative-loc.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: {
    type: 'RelativeLoc',
    neck: { type: 'RelativeLocNeck', inChannels: 128, outChannels: 512, withAvgPool: true },
    head: { type: 'ClsHead', withAvgPool: false, inChannels: 512, numClasses: 8, initCfg: { type: 'Normal', std: 0.005 } },
  },
  trainDataloader: { batchSize: 128 },
  optimWrapper: {
    optimizer: sgd(0.05, 5e-4),
    paramwiseCfg: { customKeys: { neck: { decayMult: 5 }, head: { decayMult: 5 } } },
  },
});
