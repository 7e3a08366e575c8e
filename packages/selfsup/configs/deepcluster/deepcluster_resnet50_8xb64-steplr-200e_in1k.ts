/** MMSelfSup 1.x's deepcluster_resnet50_8xb64-steplr-200e_in1k.py (the batch size is per process: launch with --nproc-per-node 8). */
import { defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/deepcluster.ts', '../_base_/datasets/imagenet_deepcluster.ts', '../_base_/default_runtime.ts'],
  // The classifier is re-initialised at every clustering: no momentum for it (MMSelfSup's custom_keys).
  optimWrapper: { optimizer: sgd(0.1, 1e-5), paramwiseCfg: { customKeys: { head: { momentum: 0 } } } },
  paramScheduler: [{ type: 'MultiStepLR', byEpoch: true, milestones: [400], gamma: 0.1 }],
  trainCfg: epochs(200),
  defaultHooks: { checkpoint: { interval: 10, maxKeepCkpts: 3 } },
});
