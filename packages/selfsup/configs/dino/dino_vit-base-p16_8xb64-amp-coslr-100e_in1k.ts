/**
 * MMSelfSup's DINO ViT-B/16 recipe (projects/dino/config/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py;
 * the batch size is per process: launch with --nproc-per-node as the name says): a ViT-B/16 whose class
 * token feeds a 65536-d DINO projector; 2 global + 8 local crops (`DINOMultiCrop`); teacher momentum
 * 0.99 (the algorithm's default, which the project config keeps) and temperature 0.04 throughout;
 * AdamW 2.4e-3 without decay on norms, biases, tables and tokens; a warm-up from 1e-9 × lr over 10
 * epochs, then cosine to 100, both per iteration.
 *
 * The backbone is mmcls's `VisionTransformer` there; here selfsup's (timm's keys and initialisation:
 * trunc-normal(0.02) linears and position table rather than mmcls's Xavier FFNs and Kaiming patch
 * projection). The architecture and its computation are the same.
 */
import {
  adamw,
  defineConfig,
  dinoModel,
  dinoMultiCropViews,
  epochs,
  imagenetLoader,
  MAE_NO_DECAY,
  noDecay,
  warmupCosine,
} from 'selfsup/config';

export default defineConfig({
  _base_: '../_base_/default_runtime.ts',
  model: {
    ...dinoModel({
      baseMomentum: 0.99,
      inChannels: 768,
      hiddenChannels: 2048,
      bottleneckChannels: 256,
      outChannels: 65536,
      numCrops: 10,
      teacherTemp: 0.04,
      warmupTeacherTempEpochs: 0,
    }),
    backbone: { type: 'VisionTransformer', arch: 'base', patchSize: 16 },
  },
  trainDataloader: { ...imagenetLoader(dinoMultiCropViews({ backend: 'pillow' })), batchSize: 64, numWorkers: 16 },
  optimWrapper: { type: 'AmpOptimWrapper', optimizer: adamw(2.4e-3, 0.05), paramwiseCfg: noDecay(MAE_NO_DECAY) },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-9 }),
  trainCfg: epochs(100),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 1 } },
  randomness: { seed: 2 },
});
