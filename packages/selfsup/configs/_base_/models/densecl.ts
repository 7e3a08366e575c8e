/** MMSelfSup 1.x's DenseCL model (configs/selfsup/_base_/models/densecl.py) on a ResNet-50. */
import { defineConfig, denseCLModel, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...denseCLModel({ queueLen: 65536, momentum: 0.999, inChannels: 2048, hidChannels: 2048 }), backbone: resnet50() },
});
