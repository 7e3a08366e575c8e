/**
 * mmpretrain's SparK ConvNeXt V2-S recipe (configs/spark/spark_sparse-convnextv2-small_16xb256-amp-coslr-200e_in1k.py):
 * the ConvNeXt-S one with ConvNeXt V2's blocks (GRN, no layer scale), 20 warm-up epochs and both
 * cosines ending at 200; it keeps the 3 latest checkpoints. (Its `resume=True` is a run flag here:
 * `selfsup train --resume`.)
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './spark_sparse-convnext-small_16xb256-amp-coslr-800e_in1k.ts',
  model: { backbone: { layerScaleInitValue: 0, useGrn: true } },
  paramScheduler: [
    ...warmupCosine(20, 200),
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 200, byEpoch: true, begin: 0, end: 200, convertToIterBased: true },
  ],
  trainCfg: epochs(200),
  defaultHooks: { checkpoint: { maxKeepCkpts: 3 } },
});
