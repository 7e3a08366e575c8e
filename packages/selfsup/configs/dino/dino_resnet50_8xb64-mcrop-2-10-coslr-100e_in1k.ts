/** MMSelfSup's ImageNet-1k recipe for DINO (the batch size is per process: launch with --nproc-per-node as the name says). */
import { defineConfig, epochs, lars, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/dino.ts', '../_base_/datasets/imagenet_dino.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 64 },
  optimWrapper: { optimizer: lars(0.3, 1e-6) },
  paramScheduler: warmupCosine(10, 100),
  trainCfg: epochs(100),
  syncBn: true,
});
