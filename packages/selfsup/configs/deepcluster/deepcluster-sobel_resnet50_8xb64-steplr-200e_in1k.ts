/** MMSelfSup 1.x's deepcluster-sobel_resnet50_8xb64-steplr-200e_in1k.py: the Sobel input (grey + gradients, 2 channels). */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './deepcluster_resnet50_8xb64-steplr-200e_in1k.ts',
  model: { withSobel: true, backbone: { inChannels: 2 } },
});
