/**
 * The CPU-sized SimMIM model of the CIFAR-10 recipe: Swin-T's first three stages (depths 2-2-6, heads
 * 3-6-12) at half width (embedding 48, 192 features) on 2-px patches with window 4, so 32-px images
 * give 16×16, 8×8 and 4×4 maps (the last one window: not shifted) and a total stride of 8; the linear
 * decoder from that map, L1 on the masked pixels; CIFAR-10's statistics (× 255).
 */
import { defineConfig, simmimModel } from 'selfsup/config';

export default defineConfig({
  model: {
    ...simmimModel({ inChannels: 192, encoderStride: 8, patchSize: 2 }),
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: {
      type: 'SimMIMSwinTransformer',
      embedDim: 48,
      depths: [2, 2, 6],
      numHeads: [3, 6, 12],
      imgSize: 32,
      patchSize: 2,
      windowSize: 4,
    },
  },
});
