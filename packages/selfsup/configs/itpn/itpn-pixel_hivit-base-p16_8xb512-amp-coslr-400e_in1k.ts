/**
 * mmpretrain's iTPN pixel-target recipe at 400 epochs (configs/itpn/itpn-pixel_hivit-base-p16_8xb512-amp-coslr-400e_in1k.py):
 * the 800-epoch HiViT-B recipe with 40 warm-up epochs and the cosine ending at 400.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './itpn-pixel_hivit-base-p16_8xb512-amp-coslr-800e_in1k.ts',
  paramScheduler: warmupCosine(40, 400),
  trainCfg: epochs(400),
});
