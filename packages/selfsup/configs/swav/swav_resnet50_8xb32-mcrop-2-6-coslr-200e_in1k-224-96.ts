/** MMSelfSup's ImageNet-1k recipe for SwAV (the batch size is per process: launch with --nproc-per-node as the name says). */
import { cosine, defineConfig, epochs, lars } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/swav.ts', '../_base_/datasets/imagenet_swav.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 32 },
  optimWrapper: { optimizer: lars(0.6, 1e-6) },
  paramScheduler: cosine(200, { etaMin: 6e-4 }),
  trainCfg: epochs(200),
  syncBn: true,
});
