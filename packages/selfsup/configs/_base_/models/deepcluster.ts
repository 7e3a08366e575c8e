/** MMSelfSup 1.x's DeepCluster model (configs/selfsup/_base_/models/deepcluster.py): ResNet-50, average pooling, a 10 000-way classifier. */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  model: {
    type: 'DeepCluster',
    backbone: { type: 'ResNet', depth: 50, zeroInitResidual: false },
    neck: { type: 'AvgPool2dNeck' },
    head: { type: 'ClsHead', withAvgPool: false, inChannels: 2048, numClasses: 10000 },
  },
});
