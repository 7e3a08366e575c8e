/** MMSelfSup 1.x's ODC model (configs/selfsup/_base_/models/odc.py) on a ResNet-50: 10000 clusters, a memory of ImageNet-1k's 1281167 images. */
import { defineConfig, odcModel, resnet50 } from 'selfsup/config';

export default defineConfig({
  model: { ...odcModel({ inChannels: 2048, numClasses: 10000, length: 1281167 }), backbone: resnet50() },
});
