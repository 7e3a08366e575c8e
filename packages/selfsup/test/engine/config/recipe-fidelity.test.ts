/**
 * The bundled ImageNet recipes against MMSelfSup 1.x's configs: batch size per process, optimizer,
 * LARS exclusions (`paramwise_cfg.custom_keys`), optimizer wrapper, schedules (with how each is
 * stepped) and epochs, plus the model settings the recipes carry (SwAV's global queue and frozen
 * prototypes, MoCo v3's predictor). The table states MMSelfSup's values as its files give them
 * (paths in open-mmlab/mmselfsup, 1.x), merged with their `_base_` files.
 *
 * One deliberate difference: selfsup's SimCLR gradient is `processes` × MMSelfSup's (docs/algorithms.md),
 * so the SimCLR recipe multiplies weight decay by it and divides the LARS-excluded groups' lr by it,
 * which gives every parameter MMSelfSup's step (the arithmetic is in the config's comment).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { CONFIG_DIR } from '../../../src/cli/list.js';
import { loadConfig, preloadConfigs } from '../../../src/engine/config/load.js';
import { buildOptimWrapper } from '../../../src/engine/optim-builder.js';
import { buildStep } from '../../../src/data/register.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { ALGORITHMS, BACKBONES } from '../../../src/models/registries.js';
import { DallEEncoder } from '../../../src/models/target-generators/dall-e.js';
import '../../../src/builtins.js';
import { py } from '../../helpers.js';

interface Schedule {
  type: 'LinearLR' | 'CosineAnnealingLR' | 'MultiStepLR';
  /** MultiStepLR: MMEngine's defaults (0, ∞) when not given. */
  begin?: number;
  end?: number;
  /** MultiStepLR's epochs and factor. */
  milestones?: number[];
  gamma?: number;
  startFactor?: number;
  /** MMEngine's T_max (default end − begin). */
  tMax?: number;
  etaMin?: number;
  /** `convert_to_iter_based=True`. */
  perIter: boolean;
}

interface Recipe {
  /** MMSelfSup's config (and the `_base_` schedule it takes its scheduler from). */
  source: string;
  batchSize: number;
  wrapper?: 'AmpOptimWrapper';
  optimizer: { type: 'LARS' | 'SGD' | 'AdamW'; lr: number; momentum?: number; betas?: [number, number]; weightDecay: number };
  /** `paramwise_cfg.custom_keys`; null: none. */
  customKeys: Record<string, { decayMult: number; larsExclude?: true; lrMult?: number }> | null;
  schedule: Schedule[];
  maxEpochs: number;
  /** selfsup's gradient ÷ MMSelfSup's (SimCLR: the number of processes). */
  gradScale?: number;
  model?: (model: Record<string, unknown>) => void;
}

const exclude = (keys: string[], lrMult?: number) =>
  Object.fromEntries(
    keys.map((k) => [k, { decayMult: 0, larsExclude: true as const, ...(lrMult === undefined ? {} : { lrMult }) }]),
  );
const BN_BIAS_DOWNSAMPLE = ['bn', 'bias', 'downsample.1'];
/** configs/selfsup/_base_/schedules/lars_coslr-200e_in1k.py: iteration warm-up, then a cosine stepped per epoch. */
const LARS_COSLR_200E: Schedule[] = [
  { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: 10, perIter: true },
  { type: 'CosineAnnealingLR', tMax: 190, begin: 10, end: 200, perIter: false },
];
/** configs/selfsup/_base_/schedules/sgd_coslr-200e_in1k.py: SGD 0.03, cosine stepped per epoch. */
const SGD_COSLR_200E = {
  optimizer: { type: 'SGD' as const, lr: 0.03, momentum: 0.9, weightDecay: 1e-4 },
  schedule: [{ type: 'CosineAnnealingLR' as const, tMax: 200, begin: 0, end: 200, perIter: false }],
  maxEpochs: 200,
};

/**
 * The pretext-task recipes' schedule (rotation-pred_…-steplr-70e and relative-loc_…-steplr-70e): linear
 * warm-up from 0.1 × lr over 5 epochs (per iteration), then ×0.1 at epochs 30 and 50.
 */
const STEPLR_70E: Schedule[] = [
  { type: 'LinearLR', startFactor: 0.1, begin: 0, end: 5, perIter: true },
  { type: 'MultiStepLR', milestones: [30, 50], gamma: 0.1, perIter: false },
];

/** MMSelfSup's MAE recipes: AdamW 1.5e-4 × 4096/256, no decay on LayerNorms (`ln`; `norm` in timm's names), biases, tables and tokens. */
const MAE_ADAMW = {
  batchSize: 512,
  wrapper: 'AmpOptimWrapper' as const,
  optimizer: { type: 'AdamW' as const, lr: (1.5e-4 * 4096) / 256, betas: [0.9, 0.95] as [number, number], weightDecay: 0.05 },
  customKeys: Object.fromEntries(['norm', 'bias', 'pos_embed', 'mask_token', 'cls_token'].map((k) => [k, { decayMult: 0 }])),
};
/** 40 warm-up epochs then cosine to `end`, both per iteration (every MAE schedule). */
const maeSchedule = (end: number): Schedule[] => [
  { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: 40, perIter: true },
  { type: 'CosineAnnealingLR', tMax: end - 40, begin: 40, end, perIter: true },
];
const maeModelCheck = (arch: string, patch: number, width: number) => (m: Record<string, unknown>) => {
  const backbone = m.backbone as { type: string; arch: string; patchSize: number; maskRatio: number };
  assert.deepEqual([backbone.type, backbone.arch, backbone.patchSize, backbone.maskRatio], ['MAEViT', arch, patch, 0.75]);
  const neck = m.neck as Record<string, number>;
  assert.deepEqual(
    [neck.embedDim, neck.decoderEmbedDim, neck.decoderDepth, neck.decoderNumHeads, neck.numPatches, neck.patchSize],
    [width, 512, 8, 16, (224 / patch) ** 2, patch],
  );
  const head = m.head as { normPix: boolean; patchSize: number; loss: { criterion: string } };
  assert.deepEqual([head.normPix, head.patchSize, head.loss.criterion], [true, patch, 'L2']);
};
const maeRecipe = (arch: 'base' | 'large' | 'huge', epochs: number): Recipe => {
  const patch = arch === 'huge' ? 14 : 16;
  return {
    // MMSelfSup names its ViT-H/14 recipe "-p16" too.
    source: `configs/selfsup/mae/mae_vit-${arch}-p16_8xb512-amp-coslr-${epochs}e_in1k.py (+ _base_/models/mae_vit-base-p16.py)`,
    ...MAE_ADAMW,
    schedule: maeSchedule(epochs),
    maxEpochs: epochs,
    model: maeModelCheck(arch, patch, { base: 768, large: 1024, huge: 1280 }[arch]),
  };
};

/**
 * MMSelfSup's MoCo v3 ViT recipes: mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py over
 * _base_/models/mocov3_vit-small-p16.py, _base_/datasets/imagenet_mocov3.py (batch 256) and
 * adamw_coslr-300e_in1k.py, whose optimizer and scheduler the config restates (AdamW 2.4e-3 with
 * PyTorch's betas, decay 0.1; the cosine now per iteration); base and large override the arch and
 * the projector's input (large: batch 64).
 */
const mocoV3VitRecipe = (arch: 'mocov3-small' | 'base' | 'large', width: number, batchSize: number, file: string): Recipe => ({
  source: `configs/selfsup/mocov3/${file}.py`,
  batchSize,
  wrapper: 'AmpOptimWrapper',
  optimizer: { type: 'AdamW', lr: 2.4e-3, betas: [0.9, 0.999], weightDecay: 0.1 },
  customKeys: null,
  schedule: [
    { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: 40, perIter: true },
    { type: 'CosineAnnealingLR', tMax: 260, begin: 40, end: 300, perIter: true },
  ],
  maxEpochs: 300,
  model: (m) => {
    assert.equal(m.baseMomentum, 0.99);
    assert.deepEqual(m.backbone, { type: 'MoCoV3ViT', arch, imgSize: 224, patchSize: 16, stopGradConv1: true });
    const mlp = { withBias: false, withLastBn: true, withLastBnAffine: false, withLastBias: false, withAvgPool: false };
    assert.deepEqual(m.neck, {
      type: 'NonLinearNeck',
      inChannels: width,
      hidChannels: 4096,
      outChannels: 256,
      numLayers: 3,
      ...mlp,
      vitBackbone: true,
    });
    assert.deepEqual(m.head, {
      type: 'MoCoV3Head',
      temperature: 0.2,
      predictor: { type: 'NonLinearNeck', inChannels: 256, hidChannels: 4096, outChannels: 256, numLayers: 2, ...mlp },
    });
  },
});

const RECIPES: Record<string, Recipe> = {
  'mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.ts': maeRecipe('base', 300),
  'mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts': maeRecipe('base', 400),
  'mae/mae_vit-base-p16_8xb512-amp-coslr-800e_in1k.ts': maeRecipe('base', 800),
  'mae/mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.ts': maeRecipe('base', 1600),
  'mae/mae_vit-large-p16_8xb512-amp-coslr-400e_in1k.ts': maeRecipe('large', 400),
  'mae/mae_vit-large-p16_8xb512-amp-coslr-800e_in1k.ts': maeRecipe('large', 800),
  'mae/mae_vit-large-p16_8xb512-amp-coslr-1600e_in1k.ts': maeRecipe('large', 1600),
  'mae/mae_vit-huge-p16_8xb512-amp-coslr-1600e_in1k.ts': maeRecipe('huge', 1600),
  ...Object.fromEntries(
    [300, 800].map((e) => [
      `pixmim/pixmim_vit-base-p16_8xb512-amp-coslr-${e}e_in1k.ts`,
      {
        ...maeRecipe('base', e),
        source: `configs/selfsup/pixmim/pixmim_vit-base-p16_8xb512-amp-coslr-${e}e_in1k.py (over the MAE 300e recipe)`,
        model: (m: Record<string, unknown>) => {
          maeModelCheck('base', 16, 768)(m);
          assert.equal(m.type, 'PixMIM');
          assert.deepEqual(m.targetGenerator, { type: 'LowFreqTargetGenerator', radius: 40, imgSize: 224 });
        },
      },
    ]),
  ),
  // MMSelfSup's EVA and MILAN recipes: the MAE 400e one at 256 per process (16 processes), its
  // decoder predicting CLIP ViT-B/16's 512-d features, MILANPretrainHead with 2 − 2·cos.
  ...Object.fromEntries(
    (
      [
        ['eva/eva-mae-style_vit-base-p16_16xb256-coslr-400e_in1k', 'EVA', 'MAEViT', 'MAEPretrainDecoder'],
        ['milan/milan_vit-base-p16_16xb256-amp-coslr-400e_in1k', 'MILAN', 'MILANViT', 'MILANPretrainDecoder'],
      ] as const
    ).map(([name, type, backbone, neck]) => [
      `${name}.ts`,
      {
        ...maeRecipe('base', 400),
        batchSize: 256,
        source: `configs/selfsup/${name}.py (over the MAE 400e recipe)`,
        model: (m: Record<string, unknown>) => {
          assert.equal(m.type, type);
          const b = m.backbone as { type: string; arch: string; patchSize: number; maskRatio: number };
          assert.deepEqual([b.type, b.arch, b.patchSize, b.maskRatio], [backbone, 'base', 16, 0.75]);
          const n = m.neck as Record<string, unknown>;
          assert.deepEqual(
            [
              n.type,
              n.embedDim,
              n.decoderEmbedDim,
              n.decoderDepth,
              n.decoderNumHeads,
              n.numPatches,
              n.patchSize,
              n.predictFeatureDim,
            ],
            [neck, 768, 512, 8, 16, 196, 16, 512],
          );
          assert.deepEqual(m.head, {
            type: 'MILANPretrainHead',
            loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 },
          });
          const t = m.targetGenerator as Record<string, unknown>;
          assert.equal(t.type, 'CLIPGenerator');
          // CLIP ViT-B/16 by default: 224 px, 16-px patches, 512-d features.
          assert.deepEqual([t.imgSize, t.patchSize, t.outputDim], [undefined, undefined, undefined]);
        },
      },
    ]),
  ),
  ...Object.fromEntries(
    (
      [
        [300, [1, 3, 5, 7, 9, 11]],
        [800, [0, 2, 4, 6, 8, 11]],
      ] as const
    ).map(([e, outIndices]) => [
      `mff/mff_vit-base-p16_8xb512-amp-coslr-${e}e_in1k.ts`,
      {
        ...maeRecipe('base', e),
        source: `configs/mff/mff_vit-base-p16_8xb512-amp-coslr-${e}e_in1k.py (open-mmlab/mmpretrain, over its MAE ${e}e recipe)`,
        model: (m: Record<string, unknown>) => {
          const backbone = m.backbone as Record<string, unknown>;
          maeModelCheck('base', 16, 768)({ ...m, backbone: { ...backbone, type: 'MAEViT' } });
          assert.deepEqual([m.type, backbone.type, backbone.outIndices], ['MFF', 'MFFViT', outIndices]);
        },
      },
    ]),
  ),
  ...Object.fromEntries(
    (
      [
        ['base', 512, ['norm', 'bias', 'pos_embed', 'mask_token']],
        ['large', 768, ['ln', 'bias', 'pos_embed', 'mask_token']],
      ] as const
    ).flatMap(([arch, width, keys]) =>
      [400, 800, 1600].map((epochs) => [
        `itpn/itpn-pixel_hivit-${arch}-p16_8xb512-amp-coslr-${epochs}e_in1k.ts`,
        {
          // mmpretrain configs/itpn/itpn-pixel_hivit-{base,large}-p16_8xb512-amp-coslr-{400e,800e,1600e}_in1k.py
          // over _base_/models/itpn_hivit-base-p16.py and _base_/datasets/imagenet_bs512_mae.py.
          source: `configs/itpn/itpn-pixel_hivit-${arch}-p16_8xb512-amp-coslr-${epochs}e_in1k.py (open-mmlab/mmpretrain)`,
          ...MAE_ADAMW,
          customKeys: Object.fromEntries(keys.map((k) => [k, { decayMult: 0 }])),
          schedule: maeSchedule(epochs),
          maxEpochs: epochs,
          model: (m: Record<string, unknown>) => {
            const backbone = m.backbone as Record<string, unknown>;
            assert.deepEqual([m.type, backbone.type, backbone.arch, backbone.maskRatio], ['iTPN', 'iTPNHiViT', arch, 0.75]);
            const neck = m.neck as Record<string, unknown>;
            assert.deepEqual(
              [
                neck.type,
                neck.numPatches,
                neck.patchSize,
                neck.embedDim,
                neck.decoderEmbedDim,
                neck.decoderDepth,
                neck.decoderNumHeads,
              ],
              ['iTPNPretrainDecoder', 196, 16, width, 512, 6, 16],
            );
            assert.deepEqual([neck.mlpRatio, neck.fpnDim, neck.fpnDepth, neck.numOuts], [4, 256, 2, 3]);
            const head = m.head as { type: string; normPix: boolean; patchSize: number; loss: { criterion: string } };
            assert.deepEqual([head.type, head.normPix, head.patchSize, head.loss.criterion], ['MAEPretrainHead', true, 16, 'L2']);
          },
        },
      ]),
    ),
  ),
  'simclr/simclr_resnet50_16xb256-coslr-200e_in1k.ts': {
    // configs/selfsup/simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py (lr 4.8, batch 256) over
    // simclr_resnet50_8xb32-coslr-200e_in1k.py (LARS, custom keys) and lars_coslr-200e_in1k.py.
    source: 'configs/selfsup/simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py',
    batchSize: 256,
    optimizer: { type: 'LARS', lr: 4.8, momentum: 0.9, weightDecay: 1e-6 },
    customKeys: exclude(BN_BIAS_DOWNSAMPLE),
    schedule: LARS_COSLR_200E,
    maxEpochs: 200,
    gradScale: 16,
  },
  'byol/byol_resnet50_16xb256-coslr-200e_in1k.ts': {
    source: 'configs/selfsup/byol/byol_resnet50_16xb256-coslr-200e_in1k.py (+ lars_coslr-200e_in1k.py)',
    batchSize: 256,
    optimizer: { type: 'LARS', lr: 4.8, momentum: 0.9, weightDecay: 1e-6 },
    customKeys: exclude(BN_BIAS_DOWNSAMPLE),
    schedule: LARS_COSLR_200E,
    maxEpochs: 200,
  },
  'barlowtwins/barlowtwins_resnet50_8xb256-coslr-300e_in1k.ts': {
    // Its scheduler is restated by barlowtwins_resnet50_8xb32-accum8-coslr-100e_in1k.py (1.6e-4, 0.0016).
    source: 'configs/selfsup/barlowtwins/barlowtwins_resnet50_8xb256-coslr-300e_in1k.py',
    batchSize: 256,
    optimizer: { type: 'LARS', lr: 1.6, momentum: 0.9, weightDecay: 1e-6 },
    customKeys: exclude(BN_BIAS_DOWNSAMPLE, 0.024),
    schedule: [
      { type: 'LinearLR', startFactor: 1.6e-4, begin: 0, end: 10, perIter: true },
      { type: 'CosineAnnealingLR', tMax: 290, etaMin: 0.0016, begin: 10, end: 300, perIter: true },
    ],
    maxEpochs: 300,
  },
  'mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.ts': {
    // (and configs/selfsup/_base_/models/mocov3_resnet50.py for the model)
    source: 'configs/selfsup/mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py',
    batchSize: 512,
    wrapper: 'AmpOptimWrapper',
    optimizer: { type: 'LARS', lr: 9.6, momentum: 0.9, weightDecay: 1e-6 },
    customKeys: exclude(BN_BIAS_DOWNSAMPLE),
    schedule: [
      { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: 10, perIter: true },
      { type: 'CosineAnnealingLR', tMax: 90, begin: 10, end: 100, perIter: true },
    ],
    maxEpochs: 100,
    model: (m) => {
      const head = m.head as { temperature: number; predictor: { withLastBn: boolean } };
      assert.equal(head.temperature, 1);
      assert.equal(head.predictor.withLastBn, false, 'the predictor has no last BN');
      assert.equal(m.baseMomentum, 0.99);
    },
  },
  'swav/swav_resnet50_8xb32-mcrop-2-6-coslr-200e_in1k-224-96.ts': {
    // LARS's momentum and decay from lars_coslr-200e_in1k.py; no custom keys; the SwAVHook's
    // queue_length 3840 (global) and frozen_layers_cfg prototypes 5005.
    source: 'configs/selfsup/swav/swav_resnet50_8xb32-mcrop-2-6-coslr-200e_in1k-224-96.py',
    batchSize: 32,
    optimizer: { type: 'LARS', lr: 0.6, momentum: 0.9, weightDecay: 1e-6 },
    customKeys: null,
    schedule: [{ type: 'CosineAnnealingLR', tMax: 200, etaMin: 6e-4, begin: 0, end: 200, perIter: true }],
    maxEpochs: 200,
    model: (m) => {
      const loss = (m.head as { loss: Record<string, unknown> }).loss;
      assert.equal(loss.queueLength, 3840, 'the global queue length');
      assert.equal(loss.freezePrototypesIters, 5005);
      assert.equal(loss.epochQueueStarts, 15);
      assert.deepEqual(loss.numCrops, [2, 6]);
    },
  },
  'mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.ts': {
    source: 'configs/selfsup/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py (+ sgd_coslr-200e_in1k.py)',
    batchSize: 32,
    customKeys: null,
    ...SGD_COSLR_200E,
  },
  'mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.ts': mocoV3VitRecipe(
    'mocov3-small',
    384,
    256,
    'mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k',
  ),
  'mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.ts': mocoV3VitRecipe(
    'base',
    768,
    256,
    'mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k',
  ),
  'mocov3/mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k.ts': mocoV3VitRecipe(
    'large',
    1024,
    64,
    'mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k',
  ),
  'rotation_pred/rotation-pred_resnet50_8xb16-steplr-70e_in1k.ts': {
    source:
      'configs/selfsup/rotation_pred/rotation-pred_resnet50_8xb16-steplr-70e_in1k.py (+ _base_/models/rotation-pred.py, _base_/datasets/imagenet_rotation-pred.py)',
    batchSize: 16,
    optimizer: { type: 'SGD', lr: 0.2, momentum: 0.9, weightDecay: 1e-4 },
    customKeys: null,
    schedule: STEPLR_70E,
    maxEpochs: 70,
    model: (m) => {
      assert.equal(m.type, 'RotationPred');
      assert.equal(m.neck, undefined, 'no neck');
      assert.deepEqual(m.head, {
        type: 'ClsHead',
        withAvgPool: true,
        inChannels: 2048,
        numClasses: 4,
        loss: { type: 'CrossEntropyLoss' },
      });
    },
  },
  'relative_loc/relative-loc_resnet50_8xb64-steplr-70e_in1k.ts': {
    source:
      'configs/selfsup/relative_loc/relative-loc_resnet50_8xb64-steplr-70e_in1k.py (+ _base_/models/relative-loc.py, _base_/datasets/imagenet_relative-loc.py)',
    batchSize: 64,
    optimizer: { type: 'SGD', lr: 0.2, momentum: 0.9, weightDecay: 1e-4 },
    customKeys: { neck: { decayMult: 5 }, head: { decayMult: 5 } },
    schedule: STEPLR_70E,
    maxEpochs: 70,
    model: (m) => {
      assert.equal(m.type, 'RelativeLoc');
      assert.deepEqual(m.dataPreprocessor, { mean: [124, 117, 104], std: [59, 58, 58] });
      assert.deepEqual(m.neck, { type: 'RelativeLocNeck', inChannels: 2048, outChannels: 4096, withAvgPool: true });
      assert.deepEqual(m.head, {
        type: 'ClsHead',
        withAvgPool: false,
        inChannels: 4096,
        numClasses: 8,
        initCfg: { type: 'Normal', layer: 'Linear', std: 0.005 },
        loss: { type: 'CrossEntropyLoss' },
      });
    },
  },
  'mocov1/mocov1_resnet50_8xb32-coslr-200e_in1k.ts': {
    source: 'configs/selfsup/mocov1/mocov1_resnet50_8xb32-coslr-200e_in1k.py (+ _base_/models/mocov1.py, sgd_coslr-200e_in1k.py)',
    batchSize: 32,
    customKeys: null,
    ...SGD_COSLR_200E,
    model: (m) => {
      assert.deepEqual([m.type, m.queueLen, m.featDim, m.momentum], ['MoCo', 65536, 128, 0.999]);
      assert.deepEqual(m.neck, { type: 'LinearNeck', inChannels: 2048, outChannels: 128, withAvgPool: true });
      assert.deepEqual(m.head, { type: 'ContrastiveHead', temperature: 0.07 });
    },
  },
  'dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.ts': {
    // projects/dino/config/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py (one file, no _base_);
    // its custom key 'ln' is 'norm' in timm's names (as MAE's).
    source: 'projects/dino/config/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py',
    batchSize: 64,
    wrapper: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.0024, betas: [0.9, 0.95], weightDecay: 0.05 },
    customKeys: MAE_ADAMW.customKeys,
    schedule: [
      { type: 'LinearLR', startFactor: 1e-9, begin: 0, end: 10, perIter: true },
      { type: 'CosineAnnealingLR', tMax: 90, begin: 10, end: 100, perIter: true },
    ],
    maxEpochs: 100,
    model: (m) => {
      // DINO's base_momentum default (0.99), which the project config does not set.
      assert.equal(m.baseMomentum, 0.99);
      assert.deepEqual(m.backbone, { type: 'VisionTransformer', arch: 'base', patchSize: 16 });
      assert.deepEqual(m.neck, {
        type: 'DINONeck',
        inChannels: 768,
        hiddenChannels: 2048,
        bottleneckChannels: 256,
        outChannels: 65536,
      });
      // DINOTeacherTempWarmupHook(warmup_teacher_temp=0.04, teacher_temp=0.04, teacher_temp_warmup_epochs=0).
      assert.deepEqual(m.head, {
        type: 'DINOHead',
        outChannels: 65536,
        numCrops: 10,
        studentTemp: 0.1,
        centerMomentum: 0.9,
        warmupTeacherTemp: 0.04,
        teacherTemp: 0.04,
        warmupTeacherTempEpochs: 0,
      });
    },
  },
  'densecl/densecl_resnet50_8xb32-coslr-200e_in1k.ts': {
    source: 'configs/selfsup/densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py (+ sgd_coslr-200e_in1k.py)',
    batchSize: 32,
    customKeys: null,
    ...SGD_COSLR_200E,
  },
};

type Cfg = {
  model: Record<string, unknown> & { backbone: unknown };
  trainDataloader: { batchSize: number };
  optimWrapper: {
    type?: string;
    optimizer: Record<string, unknown>;
    paramwiseCfg?: { customKeys?: Record<string, Record<string, unknown>> };
  };
  paramScheduler: Record<string, unknown>[];
  trainCfg: { type: string; maxEpochs: number };
};

preloadConfigs(Object.keys(RECIPES).map((file) => join(CONFIG_DIR, file)));

for (const [file, r] of Object.entries(RECIPES)) {
  test(`${file} has MMSelfSup's ${r.source.split(' ')[0].split('/').pop()}`, () => {
    const cfg = loadConfig(join(CONFIG_DIR, file)) as unknown as Cfg;
    const scale = r.gradScale ?? 1;
    assert.equal(cfg.trainDataloader.batchSize, r.batchSize, 'batch size per process');
    assert.equal(cfg.optimWrapper.type, r.wrapper);
    const { type, lr, momentum, betas, weightDecay } = cfg.optimWrapper.optimizer;
    const defined = (o: object) => JSON.parse(JSON.stringify(o));
    assert.deepEqual(
      defined({ type, lr, momentum, betas, weightDecay }),
      defined({ ...r.optimizer, weightDecay: r.optimizer.weightDecay * scale }),
    );
    const expectedKeys =
      r.customKeys &&
      Object.fromEntries(
        Object.entries(r.customKeys).map(([k, v]) => {
          const lrMult = (v.lrMult ?? 1) / scale;
          return [k, { ...v, ...(lrMult === 1 ? {} : { lrMult }) }];
        }),
      );
    assert.deepEqual(cfg.optimWrapper.paramwiseCfg?.customKeys ?? null, expectedKeys, 'paramwise custom keys');
    assert.equal(cfg.paramScheduler.length, r.schedule.length);
    r.schedule.forEach((s, i) => {
      const got = cfg.paramScheduler[i];
      const at = `paramScheduler.${i}`;
      assert.equal(got.type, s.type, at);
      assert.equal(got.byEpoch, true, `${at}: given in epochs`);
      assert.deepEqual([got.begin, got.end], [s.begin, s.end], `${at}: begin, end`);
      assert.equal(got.convertToIterBased === true, s.perIter, `${at}: stepped per ${s.perIter ? 'iteration' : 'epoch'}`);
      if (s.type === 'LinearLR') assert.equal(got.startFactor, s.startFactor, `${at}.startFactor`);
      else if (s.type === 'MultiStepLR')
        assert.deepEqual([got.milestones, got.gamma], [s.milestones, s.gamma], `${at}: milestones, gamma`);
      else {
        assert.equal(got.tMax ?? (got.end as number) - (got.begin as number), s.tMax, `${at}: T_max`);
        assert.equal(got.etaMin ?? 0, s.etaMin ?? 0, `${at}.etaMin`);
      }
    });
    assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: r.maxEpochs });
    r.model?.(cfg.model);
  });
}

test('the LARS exclusion keys name parameters of the ResNet-50 (downsample.1 is the shortcut BN)', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'byol/byol_resnet50_16xb256-coslr-200e_in1k.ts')) as unknown as Cfg;
  const backbone = torch.nn.init.skipInit(() => BACKBONES.build(cfg.model.backbone, 'model.backbone'));
  const names = [...backbone.namedParameters()].map(([n]) => n);
  for (const key of BN_BIAS_DOWNSAMPLE)
    assert.ok(
      names.some((n) => n.includes(key)),
      key,
    );
  assert.ok(names.includes('layer1.0.downsample.1.weight'), 'the first shortcut BN');
  assert.ok(!names.some((n) => n.includes('downsample.1') && n.includes('bn')), "'bn' alone misses it");
  backbone.dispose();
});

test('MAE’s no-decay keys name exactly the LayerNorms, biases, position tables and tokens of the MAE ViT and decoder', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'mae/mae_vit-tiny-p4_1xb256-coslr-100e_cifar10.ts')) as unknown as Cfg;
  const model = ALGORITHMS.build(cfg.model, 'model');
  const keys = Object.keys(cfg.optimWrapper.paramwiseCfg?.customKeys ?? {});
  for (const [name, p] of model.namedParameters()) {
    const exempt = keys.some((k) => name.includes(k));
    const isNorm = /(^|\.)(norm\d?|decoder_norm)\.weight$/.test(name);
    const shouldBe = isNorm || name.endsWith('.bias') || /(pos_embed|mask_token|cls_token)$/.test(name);
    assert.equal(exempt, shouldBe, `${name} (${p.shape}) ${shouldBe ? 'needs' : 'must not have'} no-decay`);
  }
  model.dispose();
});

test("maskfeat/maskfeat_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts has MMSelfSup's maskfeat_vit-base-p16_8xb256-amp-coslr-300e_in1k.py", () => {
  // configs/selfsup/maskfeat/maskfeat_vit-base-p16_8xb256-amp-coslr-300e_in1k.py over
  // _base_/models/maskfeat_vit-base-p16.py and _base_/datasets/imagenet_maskfeat.py (its own
  // optimizer and schedule replace adamw_coslr-300e_in1k.py's).
  const file = 'maskfeat/maskfeat_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts';
  const cfg = loadConfig(join(CONFIG_DIR, file)) as unknown as Cfg & {
    optimWrapper: { clipGrad: unknown; paramwiseCfg: Record<string, unknown> };
    trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
  };
  assert.equal(cfg.trainDataloader.batchSize, 256, 'batch size per process');
  assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
  assert.deepEqual(cfg.optimWrapper.optimizer, { type: 'AdamW', lr: 2e-4 * 8, betas: [0.9, 0.999], weightDecay: 0.05 });
  assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 0.02 });
  // 'pos_embed' and 'cls_token' are commented out in MMSelfSup's custom_keys ("to avoid loss stuck").
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
    normDecayMult: 0,
    biasDecayMult: 0,
    customKeys: { mask_token: { decayMult: 0 } },
  });
  assert.deepEqual(cfg.paramScheduler, [
    { type: 'LinearLR', startFactor: 1e-6, byEpoch: true, begin: 0, end: 30, convertToIterBased: true },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 30, end: 300, etaMin: 0, convertToIterBased: true },
  ]);
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 300 });
  assert.deepEqual(cfg.model, {
    type: 'MaskFeat',
    backbone: { type: 'MaskFeatViT', arch: 'base', patchSize: 16 },
    neck: {
      type: 'LinearNeck',
      inChannels: 768,
      outChannels: 108,
      withAvgPool: false,
      initCfg: { type: 'TruncNormal', layer: 'Linear', std: 0.02, bias: 0 },
    },
    head: { type: 'MaskFeatPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
    targetGenerator: { type: 'HOGGenerator', nbins: 9, pool: 8, gaussianWindow: 16, patchSize: 16 },
  });
  const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
  assert.equal(numViews, 1);
  assert.deepEqual(
    transforms[0].map(({ backend: _, ...step }) => step),
    [
      { type: 'RandomResizedCrop', size: 224, scale: [0.5, 1], ratio: [0.75, 1.3333], interpolation: 'bicubic' },
      { type: 'RandomFlip', prob: 0.5 },
      { type: 'BEiTMaskGenerator', inputSize: 14, numMaskingPatches: 78, minNumPatches: 15 },
    ],
  );
  // The custom key names the backbone's mask token (and no other parameter) of ViT-B.
  const backbone = torch.nn.init.skipInit(() => BACKBONES.build(cfg.model.backbone, 'model.backbone'));
  const names = [...backbone.namedParameters()].map(([n]) => n);
  assert.deepEqual(
    names.filter((n) => n.includes('mask_token')),
    ['mask_token'],
  );
});

test("simmim/simmim_swin-base-w6_8xb256-amp-coslr-100e_in1k-192px.ts has MMSelfSup's simmim_swin-base_8xb256-amp-coslr-100e_in1k-192.py", () => {
  // configs/selfsup/simmim/simmim_swin-base_8xb256-amp-coslr-100e_in1k-192.py over
  // simmim_swin-base_16xb128-amp-coslr-100e_in1k-192.py, whose AdamW keeps the weight decay 0.05 of
  // _base_/schedules/adamw_coslr-200e_in1k.py; _base_/models/simmim_swin-base.py;
  // _base_/datasets/imagenet_simmim.py.
  const cfg = loadConfig(join(CONFIG_DIR, 'simmim/simmim_swin-base-w6_8xb256-amp-coslr-100e_in1k-192px.ts')) as unknown as Cfg & {
    optimWrapper: { clipGrad?: unknown };
    trainDataloader: { dataset: { pipeline: { transforms: Record<string, unknown>[][] } } };
    defaultHooks: { logger: { interval: number } };
  };
  assert.equal(cfg.trainDataloader.batchSize, 256);
  assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
  assert.deepEqual(cfg.optimWrapper.optimizer, { type: 'AdamW', lr: 8e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 });
  assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 5 });
  const noDecay = { decayMult: 0 };
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg?.customKeys, {
    norm: noDecay,
    bias: noDecay,
    absolute_pos_embed: noDecay,
    relative_position_bias_table: noDecay,
  });
  const [warmup, cos] = cfg.paramScheduler;
  assert.equal(cfg.paramScheduler.length, 2);
  assert.deepEqual(
    { ...warmup },
    { type: 'LinearLR', startFactor: 1e-6 / 2e-4, byEpoch: true, begin: 0, end: 10, convertToIterBased: true },
  );
  assert.deepEqual(
    { ...cos },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 10, end: 100, etaMin: 4e-5, convertToIterBased: true },
  );
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 100 });
  assert.equal(cfg.defaultHooks.logger.interval, 100);
  assert.deepEqual(cfg.model.backbone, { type: 'SimMIMSwinTransformer', arch: 'base', imgSize: 192, windowSize: 6 });
  assert.deepEqual(cfg.model.neck, { type: 'SimMIMLinearDecoder', inChannels: 1024, encoderStride: 32 });
  assert.deepEqual(cfg.model.head, {
    type: 'SimMIMHead',
    patchSize: 4,
    loss: { type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 },
  });
  const [crop, flip, mask] = cfg.trainDataloader.dataset.pipeline.transforms[0];
  assert.deepEqual(crop, { type: 'RandomResizedCrop', backend: 'pillow', size: 192, scale: [0.67, 1], ratio: [3 / 4, 4 / 3] });
  assert.deepEqual(flip, { type: 'RandomFlip', prob: 0.5 });
  assert.deepEqual(mask, { type: 'SimMIMMaskGenerator', inputSize: 192, maskPatchSize: 32, modelPatchSize: 4, maskRatio: 0.6 });
});

test('the SimMIM no-decay keys name parameters of the Swin (norms, biases, relative position bias tables)', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'simmim/simmim_swin-base-w6_8xb256-amp-coslr-100e_in1k-192px.ts')) as unknown as Cfg;
  const backbone = torch.nn.init.skipInit(() =>
    BACKBONES.build({ ...(cfg.model.backbone as object), depths: [1, 1, 1, 1] }, 'model.backbone'),
  );
  const names = [...backbone.namedParameters()].map(([n]) => n);
  for (const key of ['norm', 'bias', 'relative_position_bias_table'])
    assert.ok(
      names.some((n) => n.includes(key)),
      key,
    );
  assert.ok(names.includes('stages.0.downsample.norm.weight') && names.includes('norm3.weight'), 'merging and output norms');
  backbone.dispose();
});

type Step = Record<string, unknown>;
type ViewsCfg = { trainDataloader: { dataset: { pipeline: { numViews: number | number[]; transforms: Step[][] } } } };
/** The pipeline's views without the pixel backend (which only says how Pillow-exact the arithmetic is). */
const viewsOf = (file: string) => {
  const { numViews, transforms } = (loadConfig(join(CONFIG_DIR, file)) as unknown as ViewsCfg).trainDataloader.dataset.pipeline;
  const strip = (step: Step): Step => {
    const { backend: _, ...rest } = step;
    return Array.isArray(rest.transforms) ? { ...rest, transforms: (rest.transforms as Step[]).map(strip) } : rest;
  };
  return { numViews, transforms: transforms.map((v) => v.map(strip)) };
};
const jitter = (saturation: number, hue: number) => ({
  type: 'RandomApply',
  transforms: [{ type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation, hue }],
  prob: 0.8,
});
const blur = (prob: number) => ({ type: 'RandomGaussianBlur', sigmaMin: 0.1, sigmaMax: 2, prob });

test('the MoCo v3 ViT recipes have MMSelfSup’s ViT views (RRC scale (0.08, 1), blur 1.0/0.1, solarize 0/0.2)', () => {
  // mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py's view_pipeline1/2 (base and large inherit them).
  const view = (blurProb: number, solarizeProb: number) => [
    { type: 'RandomResizedCrop', size: 224, scale: [0.08, 1] },
    jitter(0.2, 0.1),
    { type: 'RandomGrayscale', prob: 0.2 },
    blur(blurProb),
    { type: 'RandomSolarize', threshold: 128, prob: solarizeProb },
    { type: 'RandomFlip', prob: 0.5 },
  ];
  for (const size of ['small', 'base', 'large'])
    assert.deepEqual(
      viewsOf(`mocov3/mocov3_vit-${size}-p16_${size === 'large' ? '64xb64' : '16xb256'}-amp-coslr-300e_in1k.ts`),
      { numViews: [1, 1], transforms: [view(1, 0), view(0.1, 0.2)] },
      size,
    );
});

test('the MoCo v1 recipe has MMSelfSup’s imagenet_mocov1.py views (jitter 0.4 × 4 always applied)', () => {
  assert.deepEqual(viewsOf('mocov1/mocov1_resnet50_8xb32-coslr-200e_in1k.ts'), {
    numViews: 2,
    transforms: [
      [
        { type: 'RandomResizedCrop', size: 224, scale: [0.2, 1] },
        { type: 'RandomGrayscale', prob: 0.2 },
        { type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.4 },
        { type: 'RandomFlip', prob: 0.5 },
      ],
    ],
  });
});

test('the RotationPred recipe has MMSelfSup’s imagenet_rotation-pred.py view (RRC 224, flip, the four turns)', () => {
  assert.deepEqual(viewsOf('rotation_pred/rotation-pred_resnet50_8xb16-steplr-70e_in1k.ts'), {
    numViews: 1,
    transforms: [
      [
        { type: 'RandomResizedCrop', size: 224, scale: [0.08, 1] },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'RotationWithLabels' },
      ],
    ],
  });
});

test('the RelativeLoc recipe has MMSelfSup’s imagenet_relative-loc.py view (292² resize, 255 crop, grey 0.66, 3×3 patches, jitter 21)', () => {
  assert.deepEqual(viewsOf('relative_loc/relative-loc_resnet50_8xb64-steplr-70e_in1k.ts'), {
    numViews: 1,
    transforms: [
      [
        { type: 'Resize', size: [292, 292] },
        { type: 'RandomCrop', size: 255 },
        { type: 'RandomGrayscale', prob: 0.66 },
        { type: 'RandomPatchWithLabels', gridSize: 3, jitter: 21 },
      ],
    ],
  });
});

test('the DINO ViT recipe has the project’s DINOMultiCrop (2 global + 8 local, blur 1.0, solarize on global 2)', () => {
  const crop = (size: number, scale: [number, number]) => [
    { type: 'RandomResizedCrop', size, scale, interpolation: 'bicubic' },
    { type: 'RandomFlip', prob: 0.5 },
    jitter(0.2, 0.1),
    { type: 'RandomGrayscale', prob: 0.2 },
    blur(1),
  ];
  assert.deepEqual(viewsOf('dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.ts'), {
    numViews: [1, 1, 8],
    transforms: [
      crop(224, [0.4, 1]),
      [...crop(224, [0.4, 1]), { type: 'RandomSolarize', threshold: 128, prob: 0.2 }],
      crop(96, [0.05, 0.4]),
    ],
  });
});

/** BEiT v2's block-wise mask at 224 px (75 of 14 × 14 patches; mmpretrain's iTPN CLIP recipe uses it too). */
const BEIT_V2_MASK = { type: 'BEiTMaskGenerator', inputSize: 14, numMaskingPatches: 75, minNumPatches: 16, maxNumPatches: 75 };

/** The BEiT recipes' shared checks: batch, wrapper, clipping, 10 + 290 epochs of warm-up + cosine to 1e-5, views. */
function checkBEiTRecipe(
  file: string,
  betas: [number, number],
  second: { size: number; scale: [number, number]; interp: string },
  maxEpochs = 300,
) {
  const cfg = loadConfig(join(CONFIG_DIR, file)) as unknown as Cfg & {
    optimWrapper: { clipGrad: unknown; paramwiseCfg: Record<string, unknown> };
    trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
  };
  assert.equal(cfg.trainDataloader.batchSize, 256, 'batch size per process');
  assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
  assert.deepEqual(cfg.optimWrapper.optimizer, { type: 'AdamW', lr: 1.5e-3, betas, weightDecay: 0.05 });
  assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 3 });
  assert.deepEqual(cfg.paramScheduler, [
    { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 10, convertToIterBased: true },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 10, end: maxEpochs, etaMin: 1e-5, convertToIterBased: true },
  ]);
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs });
  const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
  assert.equal(numViews, 1);
  const steps = transforms[0].map(({ backend: _, ...step }) => step);
  assert.deepEqual(steps[0], { type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0 });
  assert.deepEqual(steps[1], { type: 'RandomFlip', prob: 0.5 });
  assert.deepEqual(steps[2], {
    type: 'RandomResizedCropAndInterpolationWithTwoPic',
    size: 224,
    secondSize: second.size,
    scale: second.scale,
    interpolation: 'bicubic',
    secondInterpolation: second.interp,
  });
  return { cfg, mask: steps[3] };
}

test("beit/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts has MMSelfSup's beit_vit-base-p16_8xb256-amp-coslr-300e_in1k.py", () => {
  // configs/selfsup/beit/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k.py over _base_/models/beit_vit-base-p16.py
  // and _base_/datasets/imagenet_beit.py (TwoNormDataPreprocessor second_mean −20.4, second_std 204).
  const { cfg, mask } = checkBEiTRecipe('beit/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts', [0.9, 0.999], {
    size: 112,
    scale: [0.08, 1],
    interp: 'lanczos',
  });
  assert.deepEqual(mask, { type: 'BEiTMaskGenerator', inputSize: 14, numMaskingPatches: 75, minNumPatches: 16 });
  // MMSelfSup's 'ln' names mmcls's norms (ours: normDecayMult); 'bias' also matches the relative bias tables.
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
    normDecayMult: 0,
    customKeys: { bias: { decayMult: 0 }, gamma: { decayMult: 0 }, pos_embed: { decayMult: 0 }, cls_token: { decayMult: 0 } },
  });
  const model = cfg.model as Record<string, unknown>;
  assert.deepEqual(model.backbone, {
    type: 'BEiTViT',
    arch: 'base',
    patchSize: 16,
    dropPathRate: 0.1,
    finalNorm: true,
    layerScaleInit: 0.1,
  });
  assert.deepEqual(model.head, { type: 'BEiTV1Head', embedDims: 768, numEmbed: 8192, loss: { type: 'BEiTLoss' } });
  assert.deepEqual(model.dataPreprocessor, {
    mean: [123.675, 116.28, 103.53],
    std: [58.395, 57.12, 57.375],
    secondMean: [-20.4, -20.4, -20.4],
    secondStd: [204, 204, 204],
  });
  assert.equal((model.targetGenerator as { type: string }).type, 'DALL-E');
  assert.equal(model.neck, undefined, 'v1 has no neck');
});

// mmpretrain configs/itpn/itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-{300e,800e}_in1k.py over
// _base_/datasets/imagenet_bs256_itpn.py (TwoNormDataPreprocessor with CLIP's second statistics). The
// 800-epoch file changes drop path, betas and the schedule; its target/loss types are not taken
// (see the config's docstring).
for (const [maxEpochs, betas, dropPathRate] of [
  [300, [0.9, 0.98], 0],
  [800, [0.9, 0.999], 0.1],
] as const) {
  const file = `itpn/itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-${maxEpochs}e_in1k.ts`;
  test(`${file} has mmpretrain's itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-${maxEpochs}e_in1k.py`, () => {
    const { cfg, mask } = checkBEiTRecipe(file, [...betas], { size: 224, scale: [0.2, 1], interp: 'bicubic' }, maxEpochs);
    assert.deepEqual(mask, BEIT_V2_MASK);
    assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
      customKeys: { '.norm': { decayMult: 0 }, '.pos_embed': { decayMult: 0 }, '.gamma': { decayMult: 0 } },
    });
    const full = cfg as unknown as { autoScaleLr: unknown; randomness: { seed: number } };
    assert.deepEqual(full.autoScaleLr, { baseBatchSize: 2048 });
    assert.equal(full.randomness.seed, 0);
    const model = cfg.model as Record<string, unknown>;
    const pre = model.dataPreprocessor as { mean: number[]; std: number[]; secondMean: number[]; secondStd: number[] };
    assert.deepEqual(
      [pre.mean, pre.std],
      [
        [123.675, 116.28, 103.53],
        [58.395, 57.12, 57.375],
      ],
    );
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
    assert.ok(close(pre.secondMean, [122.7709383, 116.7460125, 104.09373615]), `CLIP mean × 255: ${pre.secondMean}`);
    assert.ok(close(pre.secondStd, [68.5005327, 66.6321579, 70.32316305]), `CLIP std × 255: ${pre.secondStd}`);
    assert.deepEqual(model.backbone, {
      type: 'iTPNHiViT',
      arch: 'base',
      dropPathRate,
      rpe: true,
      layerScaleInit: 0.1,
      reconstructionType: 'clip',
    });
    assert.deepEqual(model.neck, {
      type: 'iTPNPretrainDecoder',
      patchSize: 16,
      inChans: 3,
      embedDim: 512,
      mlpRatio: 4,
      reconstructionType: 'clip',
      fpnDim: 256,
      fpnDepth: 2,
      numOuts: 3,
    });
    assert.deepEqual(model.head, { type: 'iTPNClipHead', embedDims: 512, numEmbed: 512, loss: { type: 'CosineSimilarityLoss' } });
    assert.equal((model.targetGenerator as { type: string }).type, 'CLIPGenerator');
  });
}

test("beitv2/beitv2_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts has MMSelfSup's beitv2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py", () => {
  // configs/selfsup/beitv2/beitv2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py over _base_/models/beitv2_vit-base-p16.py
  // and _base_/datasets/imagenet_beitv2.py (second_mean = second_std = 127.5).
  const { cfg, mask } = checkBEiTRecipe('beitv2/beitv2_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts', [0.9, 0.98], {
    size: 224,
    scale: [0.2, 1],
    interp: 'bicubic',
  });
  assert.deepEqual(mask, BEIT_V2_MASK);
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
    normDecayMult: 0,
    customKeys: {
      '.bias': { decayMult: 0 },
      q_bias: { decayMult: 0 },
      v_bias: { decayMult: 0 },
      cls_token: { decayMult: 0 },
      pos_embed: { decayMult: 0 },
      gamma: { decayMult: 0 },
    },
  });
  const model = cfg.model as Record<string, unknown>;
  assert.deepEqual(model.backbone, {
    type: 'BEiTViT',
    arch: 'base',
    patchSize: 16,
    outIndices: [-4, -1],
    dropPathRate: 0,
    finalNorm: false,
    layerScaleInit: 0.1,
  });
  assert.deepEqual(model.neck, {
    type: 'BEiTV2Neck',
    numLayers: 2,
    earlyLayers: 9,
    backboneArch: 'base',
    dropPathRate: 0,
    layerScaleInit: 0.1,
  });
  assert.deepEqual(model.head, { type: 'BEiTV2Head', embedDims: 768, numEmbed: 8192, loss: { type: 'BEiTLoss' } });
  const tg = model.targetGenerator as Record<string, unknown>;
  assert.deepEqual(
    { ...tg, tokenizerPath: undefined },
    {
      type: 'VQKD',
      tokenizerPath: undefined,
      encoderConfig: { arch: 'base', imgSize: 224, patchSize: 16, absPosEmbed: true, layerScaleInit: 0, finalNorm: true },
      numEmbed: 8192,
      embedDims: 32,
    },
  );
  // The custom keys name what MMSelfSup's do in our (timm) names: the q/v biases and layer scales.
  const names = [
    ...torch.nn.init.skipInit(() => BACKBONES.build(model.backbone as never, 'model.backbone')).namedParameters(),
  ].map(([n]) => n);
  assert.ok(names.includes('blocks.0.attn.q_bias') && names.includes('blocks.0.gamma_1'));
});

test("cae/cae_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts has MMSelfSup's cae_vit-base-p16_8xb256-amp-coslr-300e_in1k.py", () => {
  // configs/selfsup/cae/cae_vit-base-p16_8xb256-amp-coslr-300e_in1k.py (1.x: the model, optimizer and
  // schedule inline, over _base_/datasets/imagenet_cae.py and default_runtime.py).
  const cfg = loadConfig(join(CONFIG_DIR, 'cae/cae_vit-base-p16_8xb256-amp-coslr-300e_in1k.ts')) as unknown as Cfg & {
    optimWrapper: { clipGrad: unknown; paramwiseCfg: unknown };
    autoScaleLr: unknown;
    trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
    defaultHooks: { logger: { interval: number }; checkpoint: { interval: number; maxKeepCkpts: number } };
  };
  assert.equal(cfg.trainDataloader.batchSize, 256, 'batch size per process');
  assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
  // MMSelfSup's optimizer is dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.999)): PyTorch's default decay.
  const torchDecay = py<number>("OUT = torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults['weight_decay']");
  assert.deepEqual(cfg.optimWrapper.optimizer, { type: 'AdamW', lr: 1.5e-3, betas: [0.9, 0.999], weightDecay: torchDecay });
  assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 3 });
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg, { biasDecayMult: 0, normDecayMult: 0, flatDecayMult: 0 });
  assert.deepEqual(cfg.autoScaleLr, { baseBatchSize: 2048 });
  assert.deepEqual(cfg.paramScheduler, [
    { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 10, convertToIterBased: true },
    // MMSelfSup's T_max=290 is end − begin, MMEngine's default.
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 10, end: 300, etaMin: 1e-5, convertToIterBased: true },
  ]);
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 300 });
  // The config sets only the checkpoint hook; the logger keeps default_runtime.py's 50.
  assert.deepEqual(cfg.defaultHooks.checkpoint, { interval: 10, maxKeepCkpts: 3 });
  assert.equal(cfg.defaultHooks.logger.interval, 50);
  const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
  assert.equal(numViews, 1);
  assert.deepEqual(transforms[0], [
    { type: 'RandomFlip', prob: 0.5 },
    {
      type: 'RandomResizedCropAndInterpolationWithTwoPic',
      size: 224,
      secondSize: 112,
      scale: [0.08, 1],
      interpolation: 'bicubic',
      secondInterpolation: 'lanczos',
    },
    { type: 'BEiTMaskGenerator', inputSize: 14, numMaskingPatches: 75, minNumPatches: 16 },
  ]);
  const { targetGenerator, ...model } = cfg.model as Record<string, unknown>;
  assert.equal((targetGenerator as { type: string }).type, 'DALL-E');
  assert.deepEqual(model, {
    type: 'CAE',
    // CAEDataPreprocessor: the image with mean (124, 117, 104), std (59, 58, 58); the tokenizer view
    // x/255·0.8 + 0.1 = (x − m)/s with s = 255/0.8 and m = −0.1·s.
    dataPreprocessor: {
      mean: [124, 117, 104],
      std: [59, 58, 58],
      secondMean: Array(3).fill(-(255 / 0.8) / 10),
      secondStd: Array(3).fill(255 / 0.8),
    },
    // MMSelfSup's qkv_bias=False: q/v biases without a key bias (our qvBias).
    backbone: { type: 'CAEViT', arch: 'base', patchSize: 16, layerScaleInit: 0.1, qvBias: true },
    neck: {
      type: 'CAENeck',
      patchSize: 16,
      embedDims: 768,
      numHeads: 12,
      regressorDepth: 4,
      decoderDepth: 4,
      mlpRatio: 4,
      layerScaleInit: 0.1,
      // MMSelfSup's default mask_tokens_num, the views' numMaskingPatches.
      maskTokensNum: 75,
    },
    head: { type: 'CAEHead', loss: { type: 'CAELoss', lambd: 2 } },
    baseMomentum: 0,
  });
});

/** CAE's CIFAR-10 model, its DALL-E encoder a tiny random one in a temp file (the release is the user's). */
function caeCifarModel() {
  const cfg = loadConfig(join(CONFIG_DIR, 'cae/cae_vit-tiny-p8_1xb256-coslr-100e_cifar10.ts')) as unknown as Cfg;
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-cae-fidelity-'));
  const tok = { nHid: 4, nBlkPerGroup: 1 };
  const enc = new DallEEncoder(tok);
  torch.save(enc.stateDict(), join(dir, 'dalle.pth'));
  enc.dispose();
  const model = ALGORITHMS.build(
    { ...cfg.model, targetGenerator: { type: 'DALL-E', ...tok, tokenizerPath: join(dir, 'dalle.pth') } } as never,
    'model',
  );
  rmSync(dir, { recursive: true, force: true });
  return { cfg, model };
}

test('CAE’s bias/norm/flat decay multipliers exempt exactly the 1-D parameters it trains (MMEngine’s rules)', () => {
  const { cfg, model } = caeCifarModel();
  const wrapper = buildOptimWrapper(cfg.optimWrapper, model);
  const decayOf = new Map<torch.Tensor, number>();
  wrapper.optimizer.paramGroups.forEach((g, i) => {
    for (const p of g.params) decayOf.set(p, wrapper.optimizer.getHyper(i, 'weightDecay'));
  });
  let exempt = 0;
  let decayed = 0;
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad || name.startsWith('teacher.') || name.startsWith('target_generator.')) continue;
    // MMEngine: norm weights and biases (norm_decay_mult), other biases (bias_decay_mult) and any
    // other 1-D parameter (flat_decay_mult: q/v biases, layer scales) — all 1-D, and nothing else.
    const flat = p.dim() === 1;
    assert.equal(decayOf.get(p), flat ? 0 : 0.01, `${name} (${p.shape})`);
    if (flat) exempt++;
    else decayed++;
  }
  assert.ok(exempt > 0 && decayed > 0);
  const names = [...model.namedParameters()].map(([n]) => n);
  for (const n of ['backbone.blocks.0.attn.q_bias', 'backbone.blocks.0.gamma_1', 'neck.regressors.0.gamma_1_cross'])
    assert.ok(names.includes(n), n);
  model.dispose();
});

test('the CAE CIFAR-10 views mask exactly the neck’s maskTokensNum patches in every image', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'cae/cae_vit-tiny-p8_1xb256-coslr-100e_cifar10.ts')) as unknown as Cfg & ViewsCfg;
  const steps = cfg.trainDataloader.dataset.pipeline.transforms[0];
  const maskCfg = steps[steps.length - 1] as { type: string; maskRatio: number };
  assert.equal(maskCfg.type, 'SimMIMMaskGenerator');
  const { maskTokensNum } = cfg.model.neck as { maskTokensNum: number };
  // ⌈0.375 · 16⌉ = 6 on the 4 × 4 grid of 8-px patches.
  assert.equal(maskTokensNum, 6);
  assert.equal(Math.ceil(maskCfg.maskRatio * 16), 6);
  const gen = buildStep(maskCfg, 'mask') as unknown as {
    generate(rng: Rng): { height: number; width: number; data: Uint8Array };
  };
  for (let i = 0; i < 20000; i++) {
    const m = gen.generate(new Rng(i));
    assert.deepEqual([m.height, m.width], [4, 4]);
    const count = m.data.reduce((a, b) => a + b, 0);
    if (count !== maskTokensNum) assert.fail(`mask ${i} masks ${count} patches`);
  }
});

for (const [epochs, warmup] of [
  [200, 20],
  [800, 40],
  [1600, 40],
] as const) {
  const file = `spark/spark_sparse-resnet50_8xb512-amp-coslr-${epochs}e_in1k.ts`;
  test(`${file} has mmpretrain's spark_sparse-resnet50_8xb512-amp-coslr-${epochs}e_in1k.py`, () => {
    // configs/spark/spark_sparse-resnet50_8xb512-amp-coslr-800e_in1k.py (the 200e and 1600e ones
    // replace its param_scheduler and max_epochs) over _base_/datasets/imagenet_bs512_mae.py.
    const cfg = loadConfig(join(CONFIG_DIR, file)) as unknown as Cfg & {
      optimWrapper: { clipGrad: unknown; paramwiseCfg: unknown };
      syncBn: boolean;
      trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
      defaultHooks: { logger: { interval: number }; checkpoint: { interval: number; maxKeepCkpts: number } };
    };
    assert.equal(cfg.trainDataloader.batchSize, 512, 'batch size per process');
    assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
    assert.deepEqual(cfg.optimWrapper.optimizer, {
      type: 'LAMB',
      lr: (2e-4 * 4096) / 512,
      betas: [0.9, 0.95],
      weightDecay: 0.04,
    });
    assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 5 });
    assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
      biasDecayMult: 0,
      flatDecayMult: 0,
      customKeys: { mask_token: { decayMult: 0 } },
    });
    const perIter = { byEpoch: true, convertToIterBased: true };
    assert.deepEqual(
      cfg.paramScheduler.map((s) => ({ ...s })),
      [
        { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: warmup, ...perIter },
        // MMEngine's T_max is end − begin when not given: 760 for the 800e recipe.
        { type: 'CosineAnnealingLR', begin: warmup, end: epochs, etaMin: 0, ...perIter },
        { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: epochs, begin: 0, end: epochs, ...perIter },
      ],
    );
    assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: epochs });
    assert.equal(cfg.defaultHooks.logger.interval, 100);
    assert.deepEqual([cfg.defaultHooks.checkpoint.interval, cfg.defaultHooks.checkpoint.maxKeepCkpts], [1, 2]);
    assert.equal(cfg.syncBn, true, "mmpretrain's decoder uses SyncBN");
    assert.deepEqual(cfg.model, {
      type: 'SparK',
      inputSize: 224,
      downsampleRatio: 32,
      maskRatio: 0.6,
      encDecNormDim: 2048,
      backbone: { type: 'SparseResNet', depth: 50, outIndices: [0, 1, 2, 3], dropPathRate: 0.05 },
      neck: { type: 'SparKLightDecoder', featureDim: 512, upsampleRatio: 32, midChannels: 0, lastAct: false },
      head: { type: 'SparKPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
    });
    const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
    assert.equal(numViews, 1);
    assert.deepEqual(transforms[0], [
      { type: 'RandomResizedCrop', backend: 'pillow', size: 224, scale: [0.2, 1], interpolation: 'bicubic' },
      { type: 'RandomFlip', prob: 0.5 },
    ]);
  });
}

test("spark/spark_sparse-convnextv2-tiny_16xb256-amp-coslr-800e_in1k.ts has mmpretrain's spark_sparse-convnextv2-tiny_16xb256-amp-coslr-800e_in1k.py", () => {
  // configs/spark/spark_sparse-convnextv2-tiny_16xb256-amp-coslr-800e_in1k.py over _base_/datasets/imagenet_bs512_mae.py.
  const cfg = loadConfig(
    join(CONFIG_DIR, 'spark/spark_sparse-convnextv2-tiny_16xb256-amp-coslr-800e_in1k.ts'),
  ) as unknown as Cfg & {
    optimWrapper: { clipGrad: unknown; paramwiseCfg: unknown };
    syncBn: boolean;
    defaultHooks: { logger: { interval: number }; checkpoint: { interval: number; maxKeepCkpts: number } };
  };
  assert.equal(cfg.trainDataloader.batchSize, 256, 'batch size per process');
  assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
  assert.deepEqual(cfg.optimWrapper.optimizer, { type: 'LAMB', lr: (2e-4 * 4096) / 512, betas: [0.9, 0.95], weightDecay: 0.04 });
  assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 5 });
  assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
    biasDecayMult: 0,
    flatDecayMult: 0,
    customKeys: { mask_token: { decayMult: 0 } },
  });
  const perIter = { byEpoch: true, convertToIterBased: true };
  assert.deepEqual(
    cfg.paramScheduler.map((s) => ({ ...s })),
    [
      { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: 20, ...perIter },
      // T_max=780 in the .py is end − begin, what MMEngine takes when it is not given.
      { type: 'CosineAnnealingLR', begin: 20, end: 800, etaMin: 0, ...perIter },
      { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 800, begin: 0, end: 800, ...perIter },
    ],
  );
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 800 });
  assert.equal(cfg.defaultHooks.logger.interval, 100);
  assert.deepEqual([cfg.defaultHooks.checkpoint.interval, cfg.defaultHooks.checkpoint.maxKeepCkpts], [1, 2]);
  assert.equal(cfg.syncBn, true, "mmpretrain's decoder uses SyncBN");
  assert.deepEqual(cfg.model, {
    type: 'SparK',
    inputSize: 224,
    downsampleRatio: 32,
    maskRatio: 0.6,
    encDecNormCfg: { type: 'SparseLN2d', eps: 1e-6 },
    encDecNormDim: 768,
    backbone: {
      type: 'SparseConvNeXt',
      arch: 'tiny',
      dropPathRate: 0.2,
      outIndices: [0, 1, 2, 3],
      gapBeforeOutput: false,
      layerScaleInitValue: 0,
      useGrn: true,
    },
    neck: { type: 'SparKLightDecoder', featureDim: 512, upsampleRatio: 32, midChannels: 0, lastAct: false },
    head: { type: 'SparKPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  });
});

for (const [name, arch, v2, epochs, warmup, keep] of [
  // configs/spark/spark_sparse-convnext-small_16xb256-amp-coslr-800e_in1k.py over _base_/datasets/imagenet_bs512_mae.py.
  ['spark_sparse-convnext-small_16xb256-amp-coslr-800e_in1k', 'small', false, 800, 40, 2],
  // …-200e_in1k.py: the 800e one with its param_scheduler (20 warm-up epochs, T_max 180 and 200) and max_epochs replaced.
  ['spark_sparse-convnext-small_16xb256-amp-coslr-200e_in1k', 'small', false, 200, 20, 2],
  // spark_sparse-convnextv2-small_16xb256-amp-coslr-200e_in1k.py: ConvNeXt-S with layer_scale_init_value=0, use_grn=True, max_keep_ckpts=3.
  ['spark_sparse-convnextv2-small_16xb256-amp-coslr-200e_in1k', 'small', true, 200, 20, 3],
] as const) {
  test(`spark/${name}.ts has mmpretrain's ${name}.py`, () => {
    const cfg = loadConfig(join(CONFIG_DIR, `spark/${name}.ts`)) as unknown as Cfg & {
      optimWrapper: { clipGrad: unknown; paramwiseCfg: unknown };
      syncBn: boolean;
      trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
      defaultHooks: { logger: { interval: number }; checkpoint: { interval: number; maxKeepCkpts: number } };
    };
    assert.equal(cfg.trainDataloader.batchSize, 256, 'batch size per process');
    assert.equal(cfg.optimWrapper.type, 'AmpOptimWrapper');
    assert.deepEqual(cfg.optimWrapper.optimizer, {
      type: 'LAMB',
      lr: (2e-4 * 4096) / 512,
      betas: [0.9, 0.95],
      weightDecay: 0.04,
    });
    assert.deepEqual(cfg.optimWrapper.clipGrad, { maxNorm: 5 });
    assert.deepEqual(cfg.optimWrapper.paramwiseCfg, {
      biasDecayMult: 0,
      flatDecayMult: 0,
      customKeys: { mask_token: { decayMult: 0 } },
    });
    const perIter = { byEpoch: true, convertToIterBased: true };
    assert.deepEqual(
      cfg.paramScheduler.map((s) => ({ ...s })),
      [
        { type: 'LinearLR', startFactor: 1e-4, begin: 0, end: warmup, ...perIter },
        // The .py's T_max (760, 180) is end − begin, what MMEngine takes when it is not given.
        { type: 'CosineAnnealingLR', begin: warmup, end: epochs, etaMin: 0, ...perIter },
        { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: epochs, begin: 0, end: epochs, ...perIter },
      ],
    );
    assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: epochs });
    assert.equal(cfg.defaultHooks.logger.interval, 100);
    assert.deepEqual([cfg.defaultHooks.checkpoint.interval, cfg.defaultHooks.checkpoint.maxKeepCkpts], [1, keep]);
    assert.equal(cfg.syncBn, true, "mmpretrain's decoder uses SyncBN");
    assert.deepEqual(cfg.model, {
      type: 'SparK',
      inputSize: 224,
      downsampleRatio: 32,
      maskRatio: 0.6,
      encDecNormCfg: { type: 'SparseLN2d', eps: 1e-6 },
      encDecNormDim: 768,
      backbone: {
        type: 'SparseConvNeXt',
        arch,
        dropPathRate: 0.2,
        outIndices: [0, 1, 2, 3],
        gapBeforeOutput: false,
        ...(v2 ? { layerScaleInitValue: 0, useGrn: true } : {}),
      },
      neck: { type: 'SparKLightDecoder', featureDim: 512, upsampleRatio: 32, midChannels: 0, lastAct: false },
      head: { type: 'SparKPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
    });
    // _base_/datasets/imagenet_bs512_mae.py's view.
    const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
    assert.equal(numViews, 1);
    assert.deepEqual(transforms[0], [
      { type: 'RandomResizedCrop', backend: 'pillow', size: 224, scale: [0.2, 1], interpolation: 'bicubic' },
      { type: 'RandomFlip', prob: 0.5 },
    ]);
  });
}

test('SparK’s no-decay settings exempt exactly the biases, BN parameters and mask tokens of the model', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'spark/spark_sparse-resnet18-w025_1xb256-coslr-100e_cifar10.ts')) as unknown as Cfg;
  const model = ALGORITHMS.build(cfg.model, 'model');
  const wrapper = buildOptimWrapper(cfg.optimWrapper, model);
  const decayOf = new Map<torch.Tensor, number>();
  wrapper.optimizer.paramGroups.forEach((g, i) => {
    for (const p of g.params) decayOf.set(p, wrapper.optimizer.getHyper(i, 'weightDecay'));
  });
  for (const [name, p] of model.namedParameters()) {
    const exempt = name.endsWith('.bias') || p.dim() === 1 || name.startsWith('mask_tokens.');
    assert.equal(decayOf.get(p), exempt ? 0 : 0.04, `${name} (${p.shape})`);
  }
  model.dispose();
});

test("mff recipes have mmpretrain's view (Resize 224, reflect-padded RandomCrop 224, flip) and seed 2", () => {
  // mmpretrain configs/mff/mff_vit-base-p16_8xb512-amp-coslr-{300,800}e_in1k.py: train_pipeline and randomness.
  for (const e of [300, 800]) {
    const cfg = loadConfig(join(CONFIG_DIR, `mff/mff_vit-base-p16_8xb512-amp-coslr-${e}e_in1k.ts`)) as unknown as Cfg & {
      trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
      randomness: { seed: number };
    };
    const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
    assert.equal(numViews, 1);
    assert.deepEqual(transforms[0], [
      { type: 'Resize', size: 224 },
      { type: 'RandomCrop', size: 224, padding: 4, paddingMode: 'reflect' },
      { type: 'RandomFlip', prob: 0.5 },
    ]);
    assert.equal(cfg.randomness.seed, 2);
  }
});

test("mixmim/mixmim_mixmim-base_16xb128-coslr-300e_in1k.ts has MMSelfSup's mixmim_mixmim-base_16xb128-coslr-300e_in1k.py", () => {
  // configs/selfsup/mixmim/mixmim_mixmim-base_16xb128-coslr-300e_in1k.py (open-mmlab/mmpretrain
  // keeps it as configs/mixmim/) over _base_/datasets/imagenet_bs128_mixmim.py.
  const cfg = loadConfig(join(CONFIG_DIR, 'mixmim/mixmim_mixmim-base_16xb128-coslr-300e_in1k.ts')) as unknown as Cfg & {
    trainDataloader: { dataset: { pipeline: { numViews: number; transforms: Record<string, unknown>[][] } } };
    randomness: { seed: number };
  };
  assert.equal(cfg.trainDataloader.batchSize, 128, 'batch size per process');
  assert.equal(cfg.optimWrapper.type, 'OptimWrapper');
  assert.deepEqual(cfg.optimWrapper.optimizer, {
    type: 'AdamW',
    lr: (1.5e-4 * 2048) / 256,
    betas: [0.9, 0.95],
    weightDecay: 0.05,
  });
  assert.deepEqual(cfg.paramScheduler, [
    { type: 'LinearLR', startFactor: 1e-4, byEpoch: true, begin: 0, end: 40, convertToIterBased: true },
    { type: 'CosineAnnealingLR', byEpoch: true, begin: 40, end: 300, etaMin: 0, convertToIterBased: true },
  ]);
  assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 300 });
  assert.equal(cfg.randomness.seed, 0);
  assert.deepEqual(cfg.model, {
    type: 'MixMIM',
    backbone: { type: 'MixMIMTransformerPretrain', arch: 'base', dropRate: 0, dropPathRate: 0 },
    neck: {
      type: 'MixMIMPretrainDecoder',
      numPatches: 49,
      encoderStride: 32,
      embedDim: 1024,
      decoderEmbedDim: 512,
      decoderDepth: 8,
      decoderNumHeads: 16,
    },
    // MMSelfSup's MixMIM sets the head's patch size from the neck's encoder stride.
    head: {
      type: 'MixMIMPretrainHead',
      normPix: true,
      patchSize: 32,
      loss: { type: 'PixelReconstructionLoss', criterion: 'L2' },
    },
  });
  const { numViews, transforms } = cfg.trainDataloader.dataset.pipeline;
  assert.equal(numViews, 1);
  assert.deepEqual(transforms[0], [
    { type: 'RandomResizedCrop', size: 224, scale: [0.2, 1], interpolation: 'bicubic', backend: 'pillow' },
    { type: 'RandomFlip', prob: 0.5 },
  ]);
});

test('MixMIM’s no-decay keys exempt exactly what MMSelfSup’s ‘ln’ and ‘bias’ exempt under its names', () => {
  const cfg = loadConfig(join(CONFIG_DIR, 'mixmim/mixmim_mixmim-tiny-p2-w4_1xb256-coslr-100e_cifar10.ts')) as unknown as Cfg;
  const model = ALGORITHMS.build(cfg.model, 'model');
  const keys = Object.keys(cfg.optimWrapper.paramwiseCfg?.customKeys ?? {});
  // MMSelfSup's names: the backbone's are ours (mmcls's); the decoder's blocks and norm are mmcls's.
  const mmName = (n: string) =>
    n
      .replace(/^neck\.decoder_blocks\.(\d+)\.norm1\./, 'neck.decoder_blocks.$1.ln1.')
      .replace(/^neck\.decoder_blocks\.(\d+)\.norm2\./, 'neck.decoder_blocks.$1.ln2.')
      .replace(/^neck\.decoder_blocks\.(\d+)\.mlp\.fc1\./, 'neck.decoder_blocks.$1.ffn.layers.0.0.')
      .replace(/^neck\.decoder_blocks\.(\d+)\.mlp\.fc2\./, 'neck.decoder_blocks.$1.ffn.layers.1.')
      .replace(/^neck\.decoder_norm\./, 'neck.ln1.');
  const decayed: string[] = [];
  for (const [name] of model.namedParameters()) {
    const mm = mmName(name);
    const exempt = keys.some((k) => name.includes(k));
    assert.equal(exempt, mm.includes('ln') || mm.includes('bias'), `${name} (MMSelfSup: ${mm})`);
    if (!exempt && name.endsWith('.weight') && /norm/.test(name)) decayed.push(name);
  }
  // The patch-embedding, merging and final encoder norms keep their decay in MMSelfSup too.
  assert.ok(decayed.includes('backbone.patch_embed.norm.weight') && decayed.includes('backbone.norm.weight'));
  assert.ok(decayed.includes('backbone.layers.0.downsample.norm.weight'));
  model.dispose();
});

for (const [file, sobel] of [
  ['deepcluster/deepcluster_resnet50_8xb64-steplr-200e_in1k.ts', false],
  ['deepcluster/deepcluster-sobel_resnet50_8xb64-steplr-200e_in1k.ts', true],
] as const) {
  test(`${file} has MMSelfSup's ${file.split('/')[1].replace('.ts', '.py')} (+ imagenet_deepcluster.py, models/deepcluster.py)`, () => {
    const cfg = loadConfig(join(CONFIG_DIR, file)) as unknown as {
      model: Record<string, unknown> & { backbone: Record<string, unknown>; head: Record<string, unknown> };
      trainDataloader: { batchSize: number; dataset: { pipeline: { transforms: { type: string }[][] } } };
      optimWrapper: unknown;
      paramScheduler: unknown;
      trainCfg: unknown;
      customHooks: Record<string, unknown>[];
    };
    assert.equal(cfg.model.type, 'DeepCluster');
    assert.equal(cfg.model.backbone.depth, 50);
    assert.equal(cfg.model.backbone.inChannels ?? 3, sobel ? 2 : 3);
    assert.equal(cfg.model.withSobel ?? false, sobel);
    assert.deepEqual(cfg.model.neck, { type: 'AvgPool2dNeck' });
    assert.deepEqual(cfg.model.head, { type: 'ClsHead', withAvgPool: false, inChannels: 2048, numClasses: 10000 });
    assert.equal(cfg.trainDataloader.batchSize, 64);
    assert.deepEqual(
      cfg.trainDataloader.dataset.pipeline.transforms[0].map((t) => t.type),
      ['RandomResizedCrop', 'RandomFlip', 'RandomRotation', 'ColorJitter', 'RandomGrayscale'],
    );
    assert.deepEqual(cfg.optimWrapper, {
      optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9, weightDecay: 1e-5 },
      paramwiseCfg: { customKeys: { head: { momentum: 0 } } },
    });
    assert.deepEqual(cfg.paramScheduler, [{ type: 'MultiStepLR', byEpoch: true, milestones: [400], gamma: 0.1 }]);
    assert.deepEqual(cfg.trainCfg, { type: 'EpochBasedTrainLoop', maxEpochs: 200 });
    const hook = cfg.customHooks.find((h) => h.type === 'DeepClusterHook') as Record<string, unknown> & {
      extractDataloader: { batchSize: number; dataset: { pipeline: { transforms: unknown[][] } } };
    };
    assert.deepEqual(hook.clustering, { type: 'Kmeans', k: 10000, pcaDim: 256 });
    assert.deepEqual(
      [hook.unifSampling, hook.reweight, hook.reweightPow, hook.initial, hook.interval],
      [true, false, 0.5, true, 1],
    );
    assert.equal(hook.extractDataloader.batchSize, 128);
    assert.deepEqual(hook.extractDataloader.dataset.pipeline.transforms[0], [
      { type: 'Resize', size: 256 },
      { type: 'CenterCrop', size: 224 },
    ]);
  });
}
