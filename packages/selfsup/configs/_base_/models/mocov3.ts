/** MMSelfSup 1.x's MoCo v3 model (configs/selfsup/_base_/models/mocov3_resnet50.py) on a ResNet-50. */
import { defineConfig, mocoV3Model, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...mocoV3Model({ inChannels: 2048, hidChannels: 4096, outChannels: 256, temperature: 1 }), backbone: resnet50() },
});
