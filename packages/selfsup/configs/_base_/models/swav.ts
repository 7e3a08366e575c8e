/** MMSelfSup 1.x's SwAV model (configs/selfsup/_base_/models/swav.py) on a ResNet-50, for 2 + 6 crops. */
import { defineConfig, resnet50, swavModel } from 'selfsup/config';

const swav = swavModel({
  inChannels: 2048,
  hidChannels: 2048,
  numCrops: [2, 6],
  numPrototypes: 3000,
  freezePrototypesIters: 5005,
  queueLength: 3840,
});
export default defineConfig({ model: { ...swav, backbone: resnet50() } });
