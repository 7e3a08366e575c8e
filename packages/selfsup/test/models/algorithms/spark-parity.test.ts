/**
 * SparK against a PyTorch restatement of mmpretrain's (spark-reference.ts), in float64: the same
 * random patches kept (both sides seed the default generator and draw `torch.rand(N, f²)` in
 * float32), the sparse ResNet-18 at ⅛ width (sparse BN statistics over the visible positions),
 * mask tokens per scale, projectors, the light decoder and the normalised-pixel L2 on the masked
 * patches; loss, every gradient and the state after the step (BN running statistics) agree.
 * Two layouts: the CIFAR stem at 32 px (3 scales, stride 8, 4×4 patches of 8 px) and the ImageNet
 * stem at 64 px (4 scales with the sparse max-pool, stride 32, an identity projector).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, SparK, type TrainProgress } from '../../../src/index.js';
import { runSeededParity } from './mae-reference.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  seededViews,
  summary,
  toFloat64,
} from './parity-reference.js';
import { PY_SPARK } from './spark-reference.js';

const PROGRESS: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };

type Result = PyResult & { active: number[][] };

function parity(o: { cifar: boolean; size: number; ratio: number; outIndices: number[]; featureDim: number }) {
  const cfg = {
    type: 'SparK' as const,
    inputSize: o.size,
    downsampleRatio: o.ratio,
    maskRatio: 0.6,
    encDecNormDim: 64,
    backbone: {
      type: 'SparseResNet' as const,
      depth: 18 as const,
      widthMultiplier: 0.125,
      cifarStem: o.cifar,
      outIndices: o.outIndices,
    },
    neck: { type: 'SparKLightDecoder' as const, featureDim: o.featureDim, upsampleRatio: o.ratio },
    head: {
      type: 'SparKPretrainHead' as const,
      patchSize: o.ratio,
      loss: { type: 'PixelReconstructionLoss' as const, criterion: 'L2' as const },
    },
  };
  const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', SparK, 'test'));
  perturb(algo, 0.05, 1);
  const py = `${PY_SPARK}
MODEL = SparK(SparseResNet18(0.125, ${o.cifar ? 'True' : 'False'}, [${o.outIndices}]), LightDecoder(${o.featureDim}, ${o.ratio}),
              ${o.size}, ${o.ratio}, 0.6, 64, ${o.featureDim}, ${o.outIndices.length})
OUT = run(MODEL)`;
  const r = runSeededParity(algo, seededViews([o.size]), PROGRESS, py, 7);
  // selfsup's mask, redrawn from the same seed, against the reference's.
  torch.manualSeed(7);
  const active = torch.tidy(() => algo.mask(4, 'cpu').reshape(4, -1).to({ dtype: 'int64' }).toList()) as number[][];
  return { r, active, algo };
}

const CIFAR = parity({ cifar: true, size: 32, ratio: 8, outIndices: [1, 2, 3], featureDim: 32 });
const IMAGENET = parity({ cifar: false, size: 64, ratio: 32, outIndices: [0, 1, 2, 3], featureDim: 64 });

for (const [name, { r, active, algo }] of [
  ['CIFAR stem, 32 px, 3 scales', CIFAR],
  ['ImageNet stem, 64 px, 4 scales', IMAGENET],
] as const) {
  test(`SparK (${name}): the same patches are kept, ${algo.lenKeep} of ${algo.featureMapSize ** 2} per image`, () => {
    assert.deepEqual(active, (r.ref as Result).active);
    for (const row of active)
      assert.equal(
        row.reduce((a, b) => a + b, 0),
        algo.lenKeep,
      );
  });

  test(`SparK (${name}): the loss equals mmpretrain’s normalised-pixel L2 on the masked patches`, (t) => {
    checkLoss(r);
    t.diagnostic(`loss ${r.loss}`);
  });

  test(`SparK (${name}): every gradient (mask tokens, sparse BNs, projectors, decoder) and the BN statistics after the step equal PyTorch’s`, (t) => {
    checkGrads(r);
    assert.ok(r.grads['mask_tokens.0'] && r.grads['enc_dec_norms.0.weight'], 'mask tokens and enc-dec norms are trained');
    checkState(r);
    t.diagnostic(summary(r));
  });
}
