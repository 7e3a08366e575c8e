/** MMSelfSup 1.x's BYOL model (configs/selfsup/_base_/models/byol.py) on a ResNet-50. */
import { byolModel, defineConfig, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...byolModel({ inChannels: 2048, hidChannels: 4096, outChannels: 256 }), backbone: resnet50() },
});
