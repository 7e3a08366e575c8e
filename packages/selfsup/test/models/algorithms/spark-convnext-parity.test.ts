/**
 * SparK with a sparse ConvNeXt V2 (mmpretrain's `spark_sparse-convnextv2-*` layout: GRN, no layer
 * scale, four un-pooled stage maps, sparse LayerNorm enc-dec norms) against PyTorch restatements of
 * mmpretrain's (convnext-reference.ts's sparse `CNX`, spark-reference.ts's mask tokens, projectors,
 * light decoder and normalised-pixel head, with the enc-dec norms swapped for gathered-row
 * LayerNorms), in float64 at 96 px with a 3×3 mask grid: the same patches kept, the loss, and every
 * gradient agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, SparK, SparseLayerNorm2d, type TrainProgress } from '../../../src/index.js';
import { PY_CONVNEXT } from '../backbones/convnext-reference.js';
import { runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, type PyResult, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';
import { PY_SPARK } from './spark-reference.js';

const PROGRESS: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
type Result = PyResult & { active: number[][] };

const cfg = {
  type: 'SparK' as const,
  inputSize: 96,
  downsampleRatio: 32,
  maskRatio: 0.6,
  encDecNormCfg: { type: 'SparseLN2d' as const, eps: 1e-6 },
  encDecNormDim: 64,
  backbone: {
    type: 'SparseConvNeXt' as const,
    arch: { depths: [1, 1, 2, 1], channels: [8, 16, 32, 64] },
    outIndices: [0, 1, 2, 3],
    gapBeforeOutput: false,
    layerScaleInitValue: 0,
    useGrn: true,
  },
  neck: { type: 'SparKLightDecoder' as const, featureDim: 32, upsampleRatio: 32, midChannels: 0, lastAct: false },
  head: { type: 'SparKPretrainHead' as const, loss: { type: 'PixelReconstructionLoss' as const, criterion: 'L2' as const } },
};

const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', SparK, 'test'));
perturb(algo, 0.05, 1);
const py = `${PY_SPARK}
${PY_CONVNEXT}
MODEL = SparK(CNX([1, 1, 2, 1], [8, 16, 32, 64], [0, 1, 2, 3], False, grn=True, ls=0, sparse=True), LightDecoder(32, 32),
              96, 32, 0.6, 64, 32, 4)
MODEL.enc_dec_norms = nn.ModuleList([CLN(64 // 2 ** i, sparse=True) for i in range(4)])
OUT = run(MODEL)`;
const r = runSeededParity(algo, seededViews([96]), PROGRESS, py, 11);
torch.manualSeed(11);
const active = torch.tidy(() => algo.mask(4, 'cpu').reshape(4, -1).to({ dtype: 'int64' }).toList()) as number[][];

test(`SparK (sparse ConvNeXt V2): the same ${algo.lenKeep} of ${algo.featureMapSize ** 2} patches are kept`, () => {
  assert.deepEqual(active, (r.ref as Result).active);
  assert.ok(algo.encDecNorms.at(0) instanceof SparseLayerNorm2d, 'SparseLN2d enc-dec norms');
});

test('SparK (sparse ConvNeXt V2): the loss equals the restatement’s normalised-pixel L2 on the masked patches', (t) => {
  checkLoss(r);
  t.diagnostic(`loss ${r.loss}`);
});

test('SparK (sparse ConvNeXt V2): every gradient (GRN, sparse LayerNorms, convs, mask tokens, decoder) equals PyTorch’s', (t) => {
  checkGrads(r);
  for (const k of [
    'backbone.stages.0.0.grn.gamma',
    'backbone.downsample_layers.0.1.weight',
    'enc_dec_norms.3.weight',
    'mask_tokens.0',
  ])
    assert.ok(r.grads[k], `${k} is trained`);
  t.diagnostic(summary(r));
});
