/**
 * MMSelfSup's ImageNet-1k recipe for MoCo v3 with ViT-S/16 (the batch size is per process: launch
 * with --nproc-per-node as the name says): the ViT views crop at scale (0.08, 1); AdamW 2.4e-3 with
 * decay 0.1 on every parameter, 40 warm-up epochs then cosine to 300, both per iteration.
 */
import { adamw, defineConfig, epochs, imagenetLoader, mocoV3Views, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/mocov3_vit-small-p16.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { ...imagenetLoader(mocoV3Views({ backend: 'pillow', scale: [0.08, 1] })), batchSize: 256 },
  optimWrapper: { type: 'AmpOptimWrapper', optimizer: adamw(2.4e-3, 0.1, [0.9, 0.999]) },
  paramScheduler: warmupCosine(40, 300),
  trainCfg: epochs(300),
});
