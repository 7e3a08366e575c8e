/**
 * iTPN with the CLIP target against a PyTorch restatement of mmpretrain's `iTPNHiViT.forward_clip`,
 * the neck's 'clip' branch and `iTPNClipHead` (itpn-reference.ts), with a seeded random tiny CLIP
 * teacher saved as a .pth: the pipeline's mask puts the mask token into the main stage (relative
 * position bias and layer scale on), the teacher sees the second view under the second statistics,
 * −cos on the masked patches. Loss and every gradient, float64 (see parity-reference.ts).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ITPN, type TrainProgress } from '../../../src/index.js';
import { PY_CLIP, writeRandomClip } from '../target-generators/clip-teacher.js';
import { PY_HIVIT, PY_ITPN_CLIP } from './itpn-reference.js';
import { PY_MAE } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, runParity, seededViews, summary, toFloat64 } from './parity-reference.js';

const teacher = writeRandomClip({ imgSize: 32, patchSize: 8, embedDim: 12, depth: 2, numHeads: 3, outputDim: 6 }, 7);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));

// CLIP's statistics for the teacher's view, as the recipe's TwoNormDataPreprocessor.
const SECOND = { secondMean: [122.77, 116.75, 104.09], secondStd: [68.5, 66.63, 70.32] };
const cfg = {
  type: 'iTPN',
  dataPreprocessor: SECOND,
  backbone: {
    type: 'iTPNHiViT',
    imgSize: 32,
    patchSize: 8,
    embedDims: 32,
    depths: [1, 1, 2],
    numHeads: 2,
    rpe: true,
    layerScaleInit: 0.1,
    reconstructionType: 'clip',
  },
  neck: {
    type: 'iTPNPretrainDecoder',
    numPatches: 16,
    patchSize: 8,
    embedDim: 32,
    fpnDim: 16,
    fpnDepth: 1,
    decoderEmbedDim: 32,
    reconstructionType: 'clip',
  },
  head: { type: 'iTPNClipHead', embedDims: 32, numEmbed: 6, loss: { type: 'CosineSimilarityLoss' } },
  targetGenerator: {
    type: 'CLIPGenerator',
    tokenizerPath: teacher,
    imgSize: 32,
    patchSize: 8,
    embedDim: 12,
    depth: 2,
    numHeads: 3,
    outputDim: 6,
  },
};

const PY = `${PY_MAE}
${PY_HIVIT}
${PY_CLIP}
${PY_ITPN_CLIP}
_M2 = torch.tensor(D['mean2'], dtype=torch.float32).view(1, -1, 1, 1)
_S2 = torch.tensor(D['std2'], dtype=torch.float32).view(1, -1, 1, 1)
TEACHER_VIEW = ((_BATCH['views'][1].float() - _M2) / _S2).double()

class ITPNClip(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = HiViTRef(32, 8, 32, [1, 1, 2], 2, 1e-6, rpe=True, ls=0.1, fixed_pos=True)
        self.backbone.mask_token = nn.Parameter(torch.zeros(1, 1, 32))
        self.neck = ITPNClipNeckRef(32, 16, 1)
        self.head = ITPNClipHeadRef(32, 6)
        self.target_generator = ClipGenerator(32, 8, 12, 2, 3, 6)
        for p in self.target_generator.parameters(): p.requires_grad_(False)
    def forward(self, img, timg, mask):
        with torch.no_grad():
            target = self.target_generator(timg)[0][:, 1:, :]
        feats = self.neck(self.backbone.clip(img, mask))
        return self.head(feats, target, mask)

model = build(ITPNClip())
pert = copy.deepcopy(model)
loss = model(VIEWS[0], TEACHER_VIEW, MASKS[0])
# The perturbed reference counts every patch, masked or not.
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], TEACHER_VIEW, torch.ones_like(MASKS[0])).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof ITPN);
assert.equal(algo.reconstructionType, 'clip');
// Teacher weights stay the file's: the reference loads the same state dict.
perturb(algo, 0.05, 1, (name) => name.startsWith('target_generator.'));
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const g = new torch.Generator().manualSeed(3);
const masks = torch.keep([torch.rand([4, 4, 4], { generator: g }).lt(0.4)]);
const R = runParity(algo, seededViews([32, 32]), progress, PY, { mean2: SECOND.secondMean, std2: SECOND.secondStd }, masks);

test('iTPN CLIP target: the loss equals the reference’s (mask token at the main stage, summed pyramid, −cos on masked patches)', () =>
  checkLoss(R));

test('iTPN CLIP target: every trainable gradient equals PyTorch’s; the teacher and position table get none', (t) => {
  checkGrads(R);
  for (const k of [
    'backbone.mask_token',
    'backbone.blocks.6.gamma_1',
    'backbone.blocks.6.attn.relative_position_bias_table',
    'neck.norm.weight',
    'head.cls_head.weight',
  ])
    assert.ok(R.trainable.includes(k), `${k} is trained`);
  assert.ok(R.trainable.every((k) => !k.startsWith('target_generator.')) && !R.trainable.includes('backbone.pos_embed'));
  t.diagnostic(summary(R));
});
