/** MMSelfSup's MAE ViT-H recipe under its name (mae_vit-huge-p16_8xb512-amp-coslr-1600e_in1k.py), whose patches are in fact 14 px: a 16×16 grid at 224 px. */
import { defineConfig, epochs, maeModel, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  model: maeModel({ arch: 'huge', patchSize: 14 }),
  paramScheduler: warmupCosine(40, 1600),
  trainCfg: epochs(1600),
});
