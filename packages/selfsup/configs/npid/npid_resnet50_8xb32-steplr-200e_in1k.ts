/** MMSelfSup's ImageNet-1k recipe for NPID: SGD lr 0.03, wd 1e-4, ×0.1 at epochs 120 and 160 of 200 (the batch size is per process). */
import { defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/npid.ts', '../_base_/datasets/imagenet_npid.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 32 },
  optimWrapper: { optimizer: sgd(0.03, 1e-4) },
  paramScheduler: [{ type: 'MultiStepLR', byEpoch: true, milestones: [120, 160], gamma: 0.1 }],
  trainCfg: epochs(200),
  syncBn: true,
});
