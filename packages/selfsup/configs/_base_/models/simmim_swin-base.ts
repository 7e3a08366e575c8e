/**
 * MMSelfSup 1.x's SimMIM model (configs/selfsup/_base_/models/simmim_swin-base.py): Swin-B with the
 * mask token at 192 px (window 6, stochastic depth 0.1), the linear decoder from its 1024-channel
 * stride-32 map, L1 on the masked pixels of 4-px patches.
 */
import { defineConfig, simmimModel } from 'selfsup/config';

export default defineConfig({
  model: {
    ...simmimModel({ inChannels: 128 * 2 ** 3, encoderStride: 32, patchSize: 4 }),
    backbone: { type: 'SimMIMSwinTransformer', arch: 'base', imgSize: 192, windowSize: 6 },
  },
});
