/** MMSelfSup's ImageNet-1k recipe for SimSiam (the batch size is per process: launch with --nproc-per-node as the name says). */
import { cosine, defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/simsiam.ts', '../_base_/datasets/imagenet_mocov2.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 32 },
  optimWrapper: { optimizer: sgd(0.05, 1e-4), paramwiseCfg: { customKeys: { predictor: { fixLr: true } } } },
  paramScheduler: cosine(100),
  trainCfg: epochs(100),
  syncBn: true,
  customHooks: [{ type: 'SimSiamHook', fixPredLr: true, lr: 0.05, adjustByEpoch: false }],
});
