/**
 * MMSelfSup 1.x's RelativeLoc model (configs/selfsup/_base_/models/relative-loc.py) on a ResNet-50:
 * its data preprocessor's statistics, RelativeLocNeck 2 × 2048 → 4096 and an 8-way ClsHead whose fc
 * starts from N(0, 0.005²).
 */
import { defineConfig, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'RelativeLoc',
    dataPreprocessor: { mean: [124, 117, 104], std: [59, 58, 58] },
    backbone: resnet50(),
    neck: { type: 'RelativeLocNeck', inChannels: 2048, outChannels: 4096, withAvgPool: true },
    head: {
      type: 'ClsHead',
      withAvgPool: false,
      inChannels: 4096,
      numClasses: 8,
      initCfg: { type: 'Normal', layer: 'Linear', std: 0.005 },
      loss: { type: 'CrossEntropyLoss' },
    },
  },
});
