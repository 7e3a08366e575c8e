/** MMSelfSup's PixMIM recipe for 800 epochs (pixmim_vit-base-p16_8xb512-amp-coslr-800e_in1k.py): the 300-epoch one, its cosine ending at 800. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './pixmim_vit-base-p16_8xb512-amp-coslr-300e_in1k.ts',
  paramScheduler: warmupCosine(40, 800),
  trainCfg: epochs(800),
});
