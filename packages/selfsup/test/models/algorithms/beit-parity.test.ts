/**
 * BEiT v1 and v2 against PyTorch re-statements of MMSelfSup 1.x (beit-reference.ts): `BEiT.loss`
 * (mmselfsup/models/algorithms/beit.py) with `BEiTViT` (mask tokens, shared relative position
 * bias, layer scale), and
 * - v1: the DALL-E encoder's argmax ids on the second view, `BEiTV1Head` (class token dropped,
 *   cross-entropy on the masked patches);
 * - v2: VQ-KD's ids, `BEiTV2Neck` (last class token + early patch tokens through the decoder blocks
 *   with the backbone's shared bias, shared norm) and `BEiTV2Head` (one classifier, two CE terms).
 * The tokenizers are seeded random tiny ones written to a temp `.pth` by Python and loaded through
 * `tokenizerPath`. The second view is normalised with the second statistics (v1: MMSelfSup's
 * −20.4/204; v2: 127.5/127.5). float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, BEiT, type TrainProgress } from '../../../src/index.js';
import { py } from '../../helpers.js';
import { PY_BEIT } from './beit-reference.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  runParity,
  seededViews,
  summary,
  toFloat64,
} from './parity-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-beit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIM = 16;
const DALLE = { nHid: 8, nBlkPerGroup: 1, vocabSize: 16 };
const VQKD = { encoderConfig: { embedDim: DIM, depth: 1, numHeads: 2, patchSize: 8, imgSize: 32 }, numEmbed: 8, embedDims: 4 };
const V1_PRE = { secondMean: [-20.4, -20.4, -20.4], secondStd: [204, 204, 204] };
const V2_PRE = { secondMean: [127.5, 127.5, 127.5], secondStd: [127.5, 127.5, 127.5] };
const backbone = { type: 'BEiTViT', embedDim: DIM, depth: 3, numHeads: 2, imgSize: 32, patchSize: 8 };

// Both tokenizers in one Python process.
const TOK = { dalle: join(dir, 'dalle.pth'), vqkd: join(dir, 'vqkd.pth') };
py(`${PY_BEIT}\nmake_tokenizer('dalle', D['dalle'], D['p1'], 7)\nmake_tokenizer('vqkd', D['vqkd'], D['p2'], 7)\nOUT = 0`, {
  dalle: DALLE,
  vqkd: VQKD,
  p1: TOK.dalle,
  p2: TOK.vqkd,
});

/** A 4×4 patch mask per image: image 3 has none masked (it adds no term). */
const masks = [
  torch
    .tensor(
      [
        [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ],
      { shape: [4, 4, 4] },
    )
    .gt(0),
];
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };

const PY_ALGO = `
_M2 = torch.tensor(D['mean2'], dtype=torch.float32).view(1, -1, 1, 1)
_S2 = torch.tensor(D['std2'], dtype=torch.float32).view(1, -1, 1, 1)
TIMG = ((_BATCH['views'][1].float() - _M2) / _S2).double()
MASK = MASKS[0]

class Neck(nn.Module):
    def __init__(self, d, heads, num_layers, ls):
        super().__init__()
        self.patch_aggregation = nn.ModuleList([Layer(d, heads, ls) for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def forward(self, inputs, rel_pos_bias, cls_from=1):
        early, x = inputs[0], inputs[1]
        x_cls_pt = torch.cat([inputs[cls_from][:, [0]], early[:, 1:]], dim=1)
        for layer in self.patch_aggregation:
            x_cls_pt = layer(x_cls_pt, rel_pos_bias=rel_pos_bias)
        return self.norm(x)[:, 1:], self.norm(x_cls_pt)[:, 1:]

class Head(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.cls_head = nn.Linear(d, n)

class BEiT(nn.Module):
    def __init__(self, v2):
        super().__init__()
        self.v2 = v2
        if v2:
            self.backbone = BEiTViT(16, 3, 2, 8, 32, out_indices=(-2, -1), final_norm=False)
            self.neck = Neck(16, 2, 1, 0.1)
            self.head = Head(16, 8)
            self.target_generator = build_tokenizer('vqkd', D['tok'])
        else:
            self.backbone = BEiTViT(16, 3, 2, 8, 32)
            self.head = Head(16, 16)
            self.target_generator = build_tokenizer('dalle', D['tok'])
        self.target_generator.requires_grad_(False)

    def forward(self, img, timg, mask, perturbed=False):
        latent = self.backbone(img, mask)
        with torch.no_grad():
            target = self.target_generator(timg)
        m = mask.flatten(1).to(torch.bool)
        if self.v2:
            # The perturbed variant takes the class token from the early layer instead of the last.
            feats, feats_cls_pt = self.neck(latent, self.backbone.shared_bias(), cls_from=0 if perturbed else 1)
            t = target[m]
            l1 = F.cross_entropy(self.head.cls_head(feats[m]), t)
            l2 = F.cross_entropy(self.head.cls_head(feats_cls_pt[m]), t)
            return l1 + l2, [l1.item(), l2.item()]
        t = torch.argmax(target, dim=1).flatten(1)[m]
        # The perturbed variant keeps the class token and drops the last patch (an off-by-one).
        feats = latent[0][:, :-1] if perturbed else latent[0][:, 1:]
        return F.cross_entropy(self.head.cls_head(feats[m]), t), []

model = build(BEiT(D['v2']))
with torch.no_grad():
    perturbed = model(VIEWS[0], TIMG, MASK, perturbed=True)[0].item()
loss, terms = model(VIEWS[0], TIMG, MASK)
OUT = finish(model, loss, {'perturbed': perturbed, 'terms': terms})
`;

function parity(v2: boolean) {
  const tokPath = v2 ? TOK.vqkd : TOK.dalle;
  const pre = v2 ? V2_PRE : V1_PRE;
  const cfg = v2
    ? {
        type: 'BEiT',
        dataPreprocessor: pre,
        backbone: { ...backbone, outIndices: [-2, -1], finalNorm: false },
        neck: { type: 'BEiTV2Neck', numLayers: 1, earlyLayers: 2, embedDim: DIM, numHeads: 2, depth: 3 },
        head: { type: 'BEiTV2Head', embedDims: DIM, numEmbed: 8 },
        targetGenerator: { type: 'VQKD', tokenizerPath: tokPath, ...VQKD },
      }
    : {
        type: 'BEiT',
        dataPreprocessor: pre,
        backbone,
        head: { type: 'BEiTV1Head', embedDims: DIM, numEmbed: 16 },
        targetGenerator: { type: 'DALL-E', tokenizerPath: tokPath, ...DALLE },
      };
  torch.manualSeed(0);
  const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', BEiT, 'test'));
  // Non-trivial relative bias tables, layer scales, norms and biases; the tokenizer stays as loaded.
  perturb(algo, 0.05, 1, (k) => k.startsWith('target_generator.'));
  const views = seededViews([32, 32]);
  return runParity<PyResult & { terms: number[] }>(
    algo,
    views,
    progress,
    `${PY_BEIT}\n${PY_ALGO}`,
    { v2, tok: v2 ? VQKD : DALLE, mean2: pre.secondMean, std2: pre.secondStd },
    masks,
  );
}

const R1 = parity(false);
const R2 = parity(true);

test('BEiT v1: the loss equals MMSelfSup’s CE of masked tokens against DALL-E’s argmax ids', (t) => {
  checkLoss(R1);
  t.diagnostic(`loss ${R1.loss}`);
});

test('BEiT v1: every trainable gradient (mask token, relative bias, layer scale, head) equals PyTorch’s; the tokenizer is frozen', (t) => {
  checkGrads(R1);
  assert.ok(!R1.trainable.some((k) => k.startsWith('target_generator.')), 'the tokenizer has no trainable parameter');
  assert.ok(R1.trainable.includes('backbone.rel_pos_bias.relative_position_bias_table'));
  checkState(R1);
  t.diagnostic(summary(R1));
});

test('BEiT v2: the loss is loss_1 + loss_2 of MMSelfSup’s BEiTV2Head on VQ-KD ids, each term equal', (t) => {
  checkLoss(R2);
  const [a, b] = R2.ref.terms;
  assert.ok(Math.abs(R2.logs.loss_1 - a) <= 1e-8 * (1 + Math.abs(a)), `loss_1 ${R2.logs.loss_1} vs ${a}`);
  assert.ok(Math.abs(R2.logs.loss_2 - b) <= 1e-8 * (1 + Math.abs(b)), `loss_2 ${R2.logs.loss_2} vs ${b}`);
  t.diagnostic(`loss ${R2.loss} = ${R2.logs.loss_1} + ${R2.logs.loss_2}`);
});

test('BEiT v2: every trainable gradient (backbone, neck blocks, shared classifier) equals PyTorch’s', (t) => {
  checkGrads(R2);
  assert.ok(R2.trainable.includes('neck.patch_aggregation.0.gamma_1'));
  checkState(R2);
  t.diagnostic(summary(R2));
});
