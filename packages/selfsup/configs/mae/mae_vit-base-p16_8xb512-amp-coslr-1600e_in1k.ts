/** MMSelfSup's MAE ViT-B/16 recipe for 1600 epochs (mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py): the 400-epoch one with its cosine ending at 1600. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  paramScheduler: warmupCosine(40, 1600),
  trainCfg: epochs(1600),
});
