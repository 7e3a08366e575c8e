/** MMSelfSup's ImageNet-1k recipe for ODC: SGD lr 0.06, wd 1e-5, no momentum on the head, ×0.4 at epoch 400 of 440. */
import { defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/odc.ts', '../_base_/datasets/imagenet_odc.ts', '../_base_/default_runtime.ts'],
  optimWrapper: { optimizer: sgd(0.06, 1e-5), paramwiseCfg: { customKeys: { head: { momentum: 0 } } } },
  paramScheduler: [{ type: 'MultiStepLR', byEpoch: true, milestones: [400], gamma: 0.4 }],
  trainCfg: epochs(440),
  syncBn: true,
});
