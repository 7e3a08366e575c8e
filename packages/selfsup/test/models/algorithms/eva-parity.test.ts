/**
 * EVA against a PyTorch restatement of MMSelfSup 1.x's `EVA` (MAE's encoder and decoder from
 * mae-reference.ts with a 6-wide prediction, CLIP's image tower as the frozen teacher, 2 − 2·cos on
 * the removed patches) with a seeded random tiny CLIP teacher: loss and every gradient, float64.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, EVA, type TrainProgress } from '../../../src/index.js';
import { PY_CLIP, writeRandomClip } from '../target-generators/clip-teacher.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const teacher = writeRandomClip({ imgSize: 16, patchSize: 4, embedDim: 12, depth: 2, numHeads: 3, outputDim: 6 }, 7);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));

const cfg = {
  type: 'EVA',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
    predictFeatureDim: 6,
  },
  head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
  targetGenerator: {
    type: 'CLIPGenerator',
    tokenizerPath: teacher,
    imgSize: 16,
    patchSize: 4,
    embedDim: 12,
    depth: 2,
    numHeads: 3,
    outputDim: 6,
  },
};

const PY = `${PY_MAE}
${PY_CLIP}
class EVA(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Encoder(4, 16, 2, 2, 16)
        self.neck = Decoder(16, 4, 16, 8, 2, 2)
        self.neck.decoder_pred = nn.Linear(8, 6)
        self.target_generator = ClipGenerator(16, 4, 12, 2, 3, 6)
    def forward(self, imgs, masked_only=True):
        clip, _ = self.target_generator(imgs)
        latent, mask, ids_restore = self.backbone(imgs, 0.75)
        pred = self.neck(latent, ids_restore)
        loss = 2 - 2 * F.cosine_similarity(pred, clip[:, 1:, :], dim=-1)
        return (loss * mask).sum() / mask.sum() if masked_only else loss.mean()

model = build(EVA())
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], masked_only=False).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof EVA);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([16]), progress, PY, 11);

test('EVA: the loss equals the reference’s 2 − 2·cos on the removed patches (all patches differs)', () => checkLoss(R));

test('EVA: every gradient equals PyTorch’s; the teacher has none', (t) => {
  checkGrads(R);
  assert.ok(R.trainable.every((k) => !k.startsWith('target_generator.')));
  t.diagnostic(summary(R));
});
