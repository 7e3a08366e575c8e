/** MMSelfSup's ImageNet-1k recipe for BYOL (the batch size is per process: launch with --nproc-per-node as the name says). */
import { defineConfig, epochs, lars, larsExclude, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/byol.ts', '../_base_/datasets/imagenet_byol.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 256 },
  optimWrapper: { optimizer: lars(4.8, 1e-6), paramwiseCfg: larsExclude(['bn', 'bias', 'downsample.1']) },
  paramScheduler: warmupCosine(10, 200, { perEpoch: true }),
  trainCfg: epochs(200),
  syncBn: true,
});
