/** MMSelfSup 1.x's NPID model (configs/selfsup/_base_/models/npid.py) on a ResNet-50: 65536 negatives, a linear 128-d projection, τ 0.07, a bank of ImageNet-1k's 1281167 images, momentum 0.5. */
import { defineConfig, npidModel, resnet50 } from 'selfsup/config';

export default defineConfig({ model: { ...npidModel({ inChannels: 2048, length: 1281167 }), backbone: resnet50() } });
