/** SimSiam on CIFAR-10, CPU-sized (batch 256 on one process); bench/quality.mjs trains it for a fixed wall-clock budget. */
import { defineConfig, sgd, simsiamModel } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/datasets/cifar10_mocov2.ts', '../_base_/cifar10_resnet18-w025_coslr-100e.ts'],
  model: simsiamModel({ inChannels: 128, hidChannels: 512, outChannels: 512, predHidChannels: 128 }),
  optimWrapper: { optimizer: sgd(0.06, 5e-4), paramwiseCfg: { customKeys: { predictor: { fixLr: true } } } },
  customHooks: [{ type: 'SimSiamHook', fixPredLr: true, lr: 0.06, adjustByEpoch: false }],
});
