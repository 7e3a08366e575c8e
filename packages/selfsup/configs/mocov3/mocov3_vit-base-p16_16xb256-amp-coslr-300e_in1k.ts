/** MMSelfSup's MoCo v3 ViT-B/16 recipe: the ViT-S/16 one with a ViT-B/16 (768 wide, 12 heads). */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.ts',
  model: { backbone: { arch: 'base' }, neck: { inChannels: 768 } },
});
