/**
 * mmpretrain's iTPN CLIP-target recipe (configs/itpn/itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-300e_in1k.py
 * over _base_/datasets/imagenet_bs256_itpn.py): an iTPNHiViT-B with relative position bias and layer
 * scale 0.1 whose block-wise masked patches (75 of 196, BEiT v2's views) enter the main stage as a
 * mask token, the pyramid neck's levels summed and LayerNorm'd, `iTPNClipHead` (512 → 512) and −cos
 * against a frozen CLIP ViT-B/16's patch features of the same crop under CLIP's statistics. 8
 * processes × 256, AdamW at 1.5e-3 with betas (0.9, 0.98) and decay 0.05 (none on '.norm',
 * '.pos_embed', '.gamma'), gradients clipped at 3, mixed precision, 10 warm-up epochs from 1e-4
 * then cosine to 1e-5 at 300. Its lr is written for a total batch of 2048 (`auto_scale_lr`).
 *
 * The teacher's weights are read from `tokenizerPath` (docs/algorithms.md, "CLIP teacher"; mmpretrain
 * downloads clip_vit_base_16.pth.tar, selfsup downloads nothing): set it with
 * `--cfg-options model.targetGenerator.tokenizerPath=…`.
 */
import { beitV2Views, defineConfig, epochs, imagenetLoader, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/default_runtime.ts'],
  model: {
    type: 'iTPN',
    dataPreprocessor: {
      mean: [123.675, 116.28, 103.53],
      std: [58.395, 57.12, 57.375],
      // CLIP's statistics, for the teacher's view.
      secondMean: [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255],
      secondStd: [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255],
    },
    backbone: { type: 'iTPNHiViT', arch: 'base', dropPathRate: 0, rpe: true, layerScaleInit: 0.1, reconstructionType: 'clip' },
    neck: {
      type: 'iTPNPretrainDecoder',
      patchSize: 16,
      inChans: 3,
      embedDim: 512,
      mlpRatio: 4,
      reconstructionType: 'clip',
      fpnDim: 256,
      fpnDepth: 2,
      numOuts: 3,
    },
    head: { type: 'iTPNClipHead', embedDims: 512, numEmbed: 512, loss: { type: 'CosineSimilarityLoss' } },
    targetGenerator: { type: 'CLIPGenerator', tokenizerPath: 'checkpoints/clip_vit_base_16.pth' },
  },
  trainDataloader: { ...imagenetLoader(beitV2Views()), batchSize: 256 },
  autoScaleLr: { baseBatchSize: 2048 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 1.5e-3, betas: [0.9, 0.98], weightDecay: 0.05 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: { customKeys: { '.norm': { decayMult: 0 }, '.pos_embed': { decayMult: 0 }, '.gamma': { decayMult: 0 } } },
  },
  paramScheduler: warmupCosine(10, 300, { startFactor: 1e-4, etaMin: 1e-5 }),
  trainCfg: epochs(300),
  randomness: { seed: 0 },
  defaultHooks: { checkpoint: { interval: 1, maxKeepCkpts: 3 } },
});
