/**
 * MAE against a PyTorch re-statement of the official MAE / MMSelfSup 1.x MAE (He et al. 2022): a
 * timm-style ViT encoder that keeps ⌊L·(1 − 0.75)⌋ patches chosen by argsort of per-sample
 * `torch.rand(N, L)` noise (same seed on both sides), the decoder (embed, mask tokens, unshuffle
 * with ids_restore, position table, blocks, norm, prediction without the class token), and the
 * per-patch normalised pixel target with the mean squared error over removed patches. float64;
 * see parity-reference.ts. A second case loads MMSelfSup-named weights into the decoder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MAE, type TrainProgress } from '../../../src/index.js';
import { convertMMSelfSupMAEDecoderKeys } from '../../../src/models/necks/mae-pretrain-decoder.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'MAE',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
};

const PY = `${PY_MAE}
model = build(MAE())
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], norm_pix=False).item()})
`;

const SEED = 7;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof MAE);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const views = seededViews([16]);
const R = runSeededParity(algo, views, progress, PY, SEED);

test('MAE: the loss equals the reference’s (random masking, decoder, normalised-pixel MSE on removed patches)', () =>
  checkLoss(R));

test('MAE: the gradient of every trainable parameter equals PyTorch’s; the fixed position tables get none', (t) => {
  checkGrads(R);
  assert.ok(!R.trainable.includes('backbone.pos_embed') && !R.trainable.includes('neck.decoder_pos_embed'));
  t.diagnostic(summary(R));
});

test('MAE: MMSelfSup-named decoder weights (ln1, ffn.layers) load strictly, each into its own parameter', () => {
  const sd = Object.fromEntries(Object.entries(algo.neck.stateDict()).map(([k, v]) => [k, v.detach().clone()]));
  const mm: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(sd)) {
    const key = k
      .replace(/\.norm1\./, '.ln1.')
      .replace(/\.norm2\./, '.ln2.')
      .replace(/\.mlp\.fc1\./, '.ffn.layers.0.0.')
      .replace(/\.mlp\.fc2\./, '.ffn.layers.1.')
      .replace(/^decoder_norm\./, 'ln1.');
    mm[key] = v.add(0.01);
  }
  assert.ok('ln1.weight' in mm && 'decoder_blocks.0.ffn.layers.0.0.weight' in mm, 'the MMSelfSup names were made');
  torch.noGrad(() => algo.neck.loadStateDict(convertMMSelfSupMAEDecoderKeys(mm), { strict: true }));
  for (const [k, v] of Object.entries(algo.neck.stateDict())) {
    assert.ok(v.sub(sd[k]).sub(0.01).abs().max().item() < 1e-12, `${k} loaded from its MMSelfSup name`);
  }
});
