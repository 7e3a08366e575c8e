/** MMSelfSup's ImageNet-1k recipe for MoCo v1 (the batch size is per process: launch with --nproc-per-node as the name says). */
import { cosine, defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/mocov1.ts', '../_base_/datasets/imagenet_mocov1.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 32 },
  optimWrapper: { optimizer: sgd(0.03, 1e-4) },
  paramScheduler: cosine(200, { perEpoch: true }),
  trainCfg: epochs(200),
  syncBn: true,
});
