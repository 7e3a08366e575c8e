/** MMSelfSup's MAE ViT-L/16 recipe for 800 epochs (mae_vit-large-p16_8xb512-amp-coslr-800e_in1k.py): the ViT-B one with a ViT-L encoder. */
import { defineConfig, epochs, maeModel, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  model: maeModel({ arch: 'large', patchSize: 16 }),
  paramScheduler: warmupCosine(40, 800),
  trainCfg: epochs(800),
});
