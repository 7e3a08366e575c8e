/**
 * MMSelfSup's ImageNet-1k recipe for RotationPred (configs/selfsup/rotation_pred/rotation-pred_resnet50_8xb16-steplr-70e_in1k.py;
 * the batch size is per process: launch with --nproc-per-node 8): SGD 0.2, 5 epochs of linear
 * warm-up from 0.1 × lr (per iteration), ×0.1 at epochs 30 and 50, 70 epochs, SyncBN.
 */
import { defineConfig, epochs, sgd } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/rotation-pred.ts', '../_base_/datasets/imagenet_rotation-pred.ts', '../_base_/default_runtime.ts'],
  optimWrapper: { optimizer: sgd(0.2, 1e-4) },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.1, byEpoch: true, begin: 0, end: 5, convertToIterBased: true },
    { type: 'MultiStepLR', byEpoch: true, milestones: [30, 50], gamma: 0.1 },
  ],
  trainCfg: epochs(70),
  syncBn: true,
});
