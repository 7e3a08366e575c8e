/** MMSelfSup's ImageNet-1k recipe for MoCo v3 (the batch size is per process: launch with --nproc-per-node as the name says). */
import { defineConfig, epochs, lars, larsExclude, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/mocov3.ts', '../_base_/datasets/imagenet_mocov3.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 512 },
  optimWrapper: {
    optimizer: lars(9.6, 1e-6),
    paramwiseCfg: larsExclude(['bn', 'bias', 'downsample.1']),
    type: 'AmpOptimWrapper',
  },
  paramScheduler: warmupCosine(10, 100),
  trainCfg: epochs(100),
  syncBn: true,
});
