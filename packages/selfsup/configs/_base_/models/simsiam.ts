/** MMSelfSup 1.x's SimSiam model (configs/selfsup/_base_/models/simsiam.py) on a ResNet-50. */
import { defineConfig, resnet50, simsiamModel } from 'selfsup/config';

export default defineConfig({
  model: {
    ...simsiamModel({ inChannels: 2048, hidChannels: 2048, outChannels: 2048, predHidChannels: 512 }),
    backbone: resnet50(),
  },
});
