/**
 * mmpretrain's iTPN pixel-target recipe with HiViT-L at 1600 epochs
 * (configs/itpn/itpn-pixel_hivit-large-p16_8xb512-amp-coslr-1600e_in1k.py): the 800-epoch HiViT-L
 * recipe with 40 warm-up epochs and the cosine ending at 1600.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './itpn-pixel_hivit-large-p16_8xb512-amp-coslr-800e_in1k.ts',
  paramScheduler: warmupCosine(40, 1600),
  trainCfg: epochs(1600),
});
