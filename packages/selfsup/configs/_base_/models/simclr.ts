/** MMSelfSup 1.x's SimCLR model (configs/selfsup/_base_/models/simclr.py) on a ResNet-50. */
import { defineConfig, resnet50, simclrModel } from 'selfsup/config';

export default defineConfig({
  model: { ...simclrModel({ inChannels: 2048, hidChannels: 2048, outChannels: 128, temperature: 0.1 }), backbone: resnet50() },
});
