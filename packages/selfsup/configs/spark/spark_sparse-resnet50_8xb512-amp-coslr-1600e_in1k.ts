/** mmpretrain's SparK ResNet-50 recipe for 1600 epochs (spark_sparse-resnet50_8xb512-amp-coslr-1600e_in1k.py): the 800-epoch one with 40 warm-up epochs and both cosines ending at 1600. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './spark_sparse-resnet50_8xb512-amp-coslr-800e_in1k.ts',
  paramScheduler: [
    ...warmupCosine(40, 1600),
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 1600, byEpoch: true, begin: 0, end: 1600, convertToIterBased: true },
  ],
  trainCfg: epochs(1600),
});
