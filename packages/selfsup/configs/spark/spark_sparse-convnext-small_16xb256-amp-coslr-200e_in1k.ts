/** mmpretrain's SparK ConvNeXt-S recipe for 200 epochs (spark_sparse-convnext-small_16xb256-amp-coslr-200e_in1k.py): the 800-epoch one with 20 warm-up epochs and both cosines ending at 200. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './spark_sparse-convnext-small_16xb256-amp-coslr-800e_in1k.ts',
  paramScheduler: [
    ...warmupCosine(20, 200),
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 200, byEpoch: true, begin: 0, end: 200, convertToIterBased: true },
  ],
  trainCfg: epochs(200),
});
