/** MMSelfSup's MoCo v3 ViT-L/16 recipe: the ViT-B/16 one with a ViT-L/16 (1024 wide, 24 blocks) at batch 64 per process. */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.ts',
  trainDataloader: { batchSize: 64, numWorkers: 8 },
  model: { backbone: { arch: 'large' }, neck: { inChannels: 1024 } },
  randomness: { seed: 0 },
});
