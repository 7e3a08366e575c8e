/** MMSelfSup 1.x's MoCo v1 model (configs/selfsup/_base_/models/mocov1.py) on a ResNet-50: a 65536-key queue, momentum 0.999, a linear 128-d projection, InfoNCE at 0.07. */
import { defineConfig, mocoV1Model, resnet50 } from 'selfsup/config';

export default defineConfig({ model: { ...mocoV1Model({ inChannels: 2048 }), backbone: resnet50() } });
