/** MMSelfSup's MAE ViT-B/16 recipe for 800 epochs (mae_vit-base-p16_8xb512-amp-coslr-800e_in1k.py): the 400-epoch one with its cosine ending at 800. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  paramScheduler: warmupCosine(40, 800),
  trainCfg: epochs(800),
});
