/** MMSelfSup 1.x's RotationPred model (configs/selfsup/_base_/models/rotation-pred.py) on a ResNet-50: no neck, a 4-way ClsHead on the pooled last map. */
import { defineConfig, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'RotationPred',
    backbone: resnet50(),
    head: { type: 'ClsHead', withAvgPool: true, inChannels: 2048, numClasses: 4, loss: { type: 'CrossEntropyLoss' } },
  },
});
