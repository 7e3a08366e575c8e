/**
 * mmpretrain's iTPN pixel-target recipe with HiViT-L (configs/itpn/itpn-pixel_hivit-large-p16_8xb512-amp-coslr-800e_in1k.py):
 * the HiViT-B one with `arch='large'` and the decoder's input 768 wide. mmpretrain's no-decay keys
 * here are 'ln' (not the base recipe's 'norm'), kept as written: they match no HiViT norm name.
 */
import { defineConfig, noDecay } from 'selfsup/config';

export default defineConfig({
  _base_: './itpn-pixel_hivit-base-p16_8xb512-amp-coslr-800e_in1k.ts',
  model: {
    backbone: { type: 'iTPNHiViT', arch: 'large' },
    neck: { type: 'iTPNPretrainDecoder', embedDim: 768 },
  },
  optimWrapper: { paramwiseCfg: { _delete_: true, ...noDecay(['ln', 'bias', 'pos_embed', 'mask_token']) } },
});
