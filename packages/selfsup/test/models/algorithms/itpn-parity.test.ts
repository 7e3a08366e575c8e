/**
 * iTPN (pixel target) against a PyTorch restatement of mmpretrain's `iTPNHiViT` + `iTPNPretrainDecoder`
 * + MAE's head (itpn-reference.ts): whole 8-px patches masked by argsort of per-sample `rand(N, L)`
 * (same seed on both sides), the stem run on the kept patches' 4 × 4 inner patches, the pyramid of
 * the three scales fused top-down, mask tokens per level, normalised-pixel MSE on removed patches.
 * Loss and every gradient, float64 (see parity-reference.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ITPN, type TrainProgress } from '../../../src/index.js';
import { PY_HIVIT } from './itpn-reference.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'iTPN',
  backbone: { type: 'iTPNHiViT', imgSize: 32, patchSize: 8, embedDims: 32, depths: [1, 1, 2], numHeads: 2 },
  neck: {
    type: 'iTPNPretrainDecoder',
    numPatches: 16,
    patchSize: 8,
    embedDim: 32,
    fpnDim: 16,
    fpnDepth: 1,
    decoderEmbedDim: 32,
    decoderDepth: 1,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 8 },
};

const PY = `${PY_MAE}
${PY_HIVIT}
model = build(ITPNRef(HiViTRef(32, 8, 32, [1, 1, 2], 2, 1e-6, fixed_pos=True), ITPNNeckRef(16, 8, 32, 16, 1, 32, 1, 2), 8))
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], norm_pix=False).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof ITPN);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([32]), progress, PY, 11);

test('iTPN: the loss equals the reference’s (patch masking, pyramid fusion, normalised-pixel MSE on removed patches)', () =>
  checkLoss(R));

test('iTPN: every trainable gradient equals PyTorch’s; the fixed position tables get none', (t) => {
  checkGrads(R);
  for (const k of [
    'backbone.blocks.0.mlp.fc1.weight',
    'backbone.blocks.2.reduction.weight',
    'neck.split_8to4.reduction.weight',
    'neck.mask_token',
  ])
    assert.ok(R.trainable.includes(k), `${k} is trained`);
  assert.ok(!R.trainable.includes('backbone.pos_embed') && !R.trainable.includes('neck.decoder_pos_embed'));
  t.diagnostic(summary(R));
});
