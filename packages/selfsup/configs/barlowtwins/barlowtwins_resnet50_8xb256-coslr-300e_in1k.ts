/** MMSelfSup's ImageNet-1k recipe for Barlow Twins (the batch size is per process: launch with --nproc-per-node as the name says). */
import { defineConfig, epochs, lars, larsExclude, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/barlowtwins.ts', '../_base_/datasets/imagenet_byol.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 256 },
  optimWrapper: { optimizer: lars(1.6, 1e-6), paramwiseCfg: larsExclude(['bn', 'bias', 'downsample.1'], { lrMult: 0.024 }) },
  paramScheduler: warmupCosine(10, 300, { startFactor: 1.6e-4, etaMin: 0.0016 }),
  trainCfg: epochs(300),
  syncBn: true,
});
