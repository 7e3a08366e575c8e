/** MMSelfSup 1.x's MAE model (configs/selfsup/_base_/models/mae_vit-base-p16.py): ViT-B/16 encoder, 8-block 512-wide decoder, normalised-pixel L2. */
import { defineConfig, maeModel } from 'selfsup/config';

export default defineConfig({ model: maeModel({ arch: 'base', patchSize: 16 }) });
