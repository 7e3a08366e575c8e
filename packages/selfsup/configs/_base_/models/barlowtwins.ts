/** MMSelfSup 1.x's Barlow Twins model (configs/selfsup/_base_/models/barlowtwins.py) on a ResNet-50. */
import { barlowTwinsModel, defineConfig, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...barlowTwinsModel({ inChannels: 2048, hidChannels: 8192, outChannels: 8192 }), backbone: resnet50() },
});
