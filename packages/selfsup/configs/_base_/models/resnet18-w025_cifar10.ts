/**
 * The CPU-sized backbone of every CIFAR-10 config: ResNet-18 at ¼ width (128 features) with the
 * CIFAR stem (3×3 stride-1 first conv, no max-pool), and CIFAR-10's statistics (× 255).
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    dataPreprocessor: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    backbone: { type: 'ResNet', depth: 18, widthMultiplier: 0.25, cifarStem: true, zeroInitResidual: true },
  },
});
