/** The VICReg model (Bardes et al. 2022: an 8192-8192-8192 expander) on a ResNet-50. */
import { defineConfig, resnet50, vicregModel } from 'selfsup/config';

export default defineConfig({
  model: { ...vicregModel({ inChannels: 2048, hidChannels: 8192, outChannels: 8192 }), backbone: resnet50() },
});
