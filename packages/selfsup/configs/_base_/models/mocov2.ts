/** MMSelfSup 1.x's MoCo v2 model (configs/selfsup/_base_/models/mocov2.py) on a ResNet-50. */
import { defineConfig, mocoV2Model, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...mocoV2Model({ queueLen: 65536, momentum: 0.999, inChannels: 2048, hidChannels: 2048 }), backbone: resnet50() },
});
