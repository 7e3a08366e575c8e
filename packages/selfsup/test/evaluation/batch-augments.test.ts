/**
 * Mixup, CutMix and the soft targets against PyTorch run in the test: mixed images and scores for
 * a fixed λ, permutation and box (mmpretrain's `mix`), timm's `mixup_target` with label smoothing
 * (its flipped batch as the permutation), `SoftTargetCrossEntropy` and its gradient; CutMix's box
 * and λ correction by hand; the Beta draws and RandomBatchAugment's choice by their statistics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { F } from '@selfsup/torch';
import { Rng } from '../../src/data/transforms/rng.js';
import {
  applyMix,
  CutMix,
  type MixParams,
  Mixup,
  RandomBatchAugment,
  smoothOneHot,
  softTargetCrossEntropy,
} from '../../src/evaluation/batch-augments.js';
import { assertClose, py } from '../helpers.js';

const [N, C, H, W, K] = [5, 3, 6, 7, 4];
const LABELS = [2, 0, 3, 3, 1];
const MIXUP: MixParams = { kind: 'mixup', lam: 0.3141, index: [3, 0, 4, 1, 2] };
const CUTMIX: MixParams = { kind: 'cutmix', lam: 1 - (3 * 4) / (H * W), index: [1, 2, 0, 4, 3], box: [2, 5, 1, 5] };

/** Images, logits and soft targets of the tests, and PyTorch's results for them: one Python run for the file. */
const G = new torch.Generator().manualSeed(4);
const X = torch.randn([N, C, H, W], { generator: G });
const LOGITS = torch.randn([N, K], { generator: G }).mul(2);
const TARGET = F.softmax(torch.randn([N, K], { generator: G }), -1);
const REF = py<{
  mixup: number[][][][];
  mixupScores: number[][];
  cutmix: number[][][][];
  cutmixScores: number[][];
  timm: number[][];
  loss: number;
  grad: number[][];
}>(
  `import torch.nn.functional as Fn
x = torch.tensor(D['x'], dtype=torch.float32)
y = torch.tensor(D['labels'])
s = Fn.one_hot(y, ${K}).float() * (1 - 0.1) + 0.1 / ${K}
m, c = D['mixup'], D['cutmix']
i = torch.tensor(m['index'])
OUT = {'mixup': m['lam'] * x + (1 - m['lam']) * x[i, :], 'mixupScores': m['lam'] * s + (1 - m['lam']) * s[i, :]}
xc = x.clone(); j = torch.tensor(c['index']); y1, y2, x1, x2 = c['box']
xc[:, :, y1:y2, x1:x2] = xc[j, :, y1:y2, x1:x2]
OUT['cutmix'] = xc; OUT['cutmixScores'] = c['lam'] * s + (1 - c['lam']) * s[j, :]
# timm's mixup_target: smoothed one-hots of the batch and of the flipped batch, blended by λ.
off = 0.1 / ${K}; on = 1. - 0.1 + off
def one_hot(t): return torch.full((t.size(0), ${K}), off).scatter_(1, t.long().view(-1, 1), on)
OUT['timm'] = one_hot(y) * m['lam'] + one_hot(y.flip(0)) * (1. - m['lam'])
# timm's SoftTargetCrossEntropy and its gradient.
z = torch.tensor(D['logits'], requires_grad=True); t = torch.tensor(D['target'])
loss = torch.sum(-t * Fn.log_softmax(z, dim=-1), dim=-1).mean()
loss.backward()
OUT['loss'] = loss; OUT['grad'] = z.grad`,
  { x: X.toList(), labels: LABELS, mixup: MIXUP, cutmix: CUTMIX, logits: LOGITS.toList(), target: TARGET.toList() },
);

test("applyMix with a fixed λ, permutation and box equals mmpretrain's Mixup.mix and CutMix.mix; timm's mixup_target with smoothing", () => {
  torch.tidy(() => {
    const labels = torch.tensor(LABELS, { dtype: 'int64' });
    const scores = smoothOneHot(labels, K, 0.1);
    const m = applyMix(X, scores, MIXUP);
    assertClose(m.images, REF.mixup, 1e-6, 'Mixup images');
    assertClose(m.scores, REF.mixupScores, 1e-6, 'Mixup scores');
    const c = applyMix(X, scores, CUTMIX);
    assertClose(c.images, REF.cutmix, 0, 'CutMix images');
    assertClose(c.scores, REF.cutmixScores, 1e-6, 'CutMix scores');
    const flip = applyMix(X, scores, { ...MIXUP, index: [4, 3, 2, 1, 0] });
    assertClose(flip.scores, REF.timm, 1e-6, "timm's mixup_target");
    // Rows of mixed targets stay distributions.
    assertClose(c.scores.sum(1), [1, 1, 1, 1, 1], 1e-6, 'score rows sum to 1');
  });
});

test("softTargetCrossEntropy equals timm's SoftTargetCrossEntropy and its gradient; on smoothed one-hots it is F.crossEntropy with label smoothing", () => {
  torch.tidy(() => {
    const logits = LOGITS.detach().clone().requiresGrad_();
    const loss = softTargetCrossEntropy(logits, TARGET);
    assertClose(loss.item(), REF.loss, 1e-6, 'loss');
    loss.backward();
    assertClose(logits.grad as torch.Tensor, REF.grad, 1e-6, 'gradient');
    const labels = torch.tensor(LABELS, { dtype: 'int64' });
    const smoothed = softTargetCrossEntropy(LOGITS, smoothOneHot(labels, K, 0.1)).item();
    assertClose(smoothed, F.crossEntropy(LOGITS, labels, { labelSmoothing: 0.1 }).item(), 1e-6, 'label smoothing identity');
  });
});

test("CutMix's box: a square of side ⌊size·√(1 − λ)⌋ (halves each side) about a uniform centre, clipped; λ from its area", () => {
  const cut = new CutMix(1);
  for (let s = 0; s < 200; s++) {
    const [h, w] = [10, 12];
    const r = new Rng(s);
    const lam = r.beta(1, 1);
    const index = r.permutation(8);
    const cy = r.randint(0, h);
    const cx = r.randint(0, w);
    const half = [Math.trunc(h * Math.sqrt(1 - lam)) >> 1, Math.trunc(w * Math.sqrt(1 - lam)) >> 1];
    const clip = (v: number, n: number) => Math.min(Math.max(v, 0), n);
    const box: [number, number, number, number] = [
      clip(cy - half[0], h),
      clip(cy + half[0], h),
      clip(cx - half[1], w),
      clip(cx + half[1], w),
    ];
    const p = cut.sample(new Rng(s), 8, h, w);
    assert.deepEqual(p.index, index);
    assert.deepEqual(p.box, box, `seed ${s}, λ ${lam}`);
    assert.equal(p.lam, 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (h * w));
  }
  // Without the correction λ stays the drawn one; with min/max sides the box follows them.
  const raw = new CutMix(1, { correctLam: false }).sample(new Rng(3), 8, 10, 12);
  assert.equal(raw.lam, new Rng(3).beta(1, 1));
  for (let s = 0; s < 50; s++) {
    const p = new CutMix(1, { cutmixMinmax: [0.2, 0.8] }).sample(new Rng(s), 4, 20, 30);
    const [t, b, l, r] = p.box as number[];
    assert.ok(b - t >= 4 && b - t < 16 && r - l >= 6 && r - l < 24 && t >= 0 && b <= 20 && l >= 0 && r <= 30, `box ${p.box}`);
  }
});

test('Mixup λ ~ Beta(0.8, 0.8) and RandomBatchAugment picks evenly or by probs (the rest: none)', () => {
  const mixup = new Mixup(0.8);
  const lams = Array.from({ length: 20000 }, (_, i) => mixup.sample(Rng.forSample(0, 0, i), 4).lam);
  const mean = lams.reduce((a, b) => a + b, 0) / lams.length;
  const variance = lams.reduce((a, b) => a + (b - mean) ** 2, 0) / lams.length;
  // Beta(a, a): mean ½, variance 1 / (4(2a + 1)) = 0.0962 for a = 0.8.
  assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(variance - 1 / (4 * 2.6)) < 0.004, `mean ${mean}, variance ${variance}`);
  const count = (aug: RandomBatchAugment) => {
    const kinds = { mixup: 0, cutmix: 0, none: 0 };
    for (let i = 0; i < 8000; i++) kinds[aug.sample(Rng.forSample(1, 0, i), 4, 8, 8)?.kind ?? 'none']++;
    return kinds;
  };
  const even = count(new RandomBatchAugment([new Mixup(0.8), new CutMix(1)]));
  assert.ok(Math.abs(even.mixup / 8000 - 0.5) < 0.02 && even.none === 0, JSON.stringify(even));
  const probs = count(new RandomBatchAugment([new Mixup(0.8), new CutMix(1)], [0.3, 0.2]));
  assert.ok(
    Math.abs(probs.mixup / 8000 - 0.3) < 0.02 &&
      Math.abs(probs.cutmix / 8000 - 0.2) < 0.02 &&
      Math.abs(probs.none / 8000 - 0.5) < 0.02,
    JSON.stringify(probs),
  );
});

test('bad options and shapes are refused with the option named', () => {
  assert.throws(() => new Mixup(0), /Mixup: alpha must be a positive number/);
  assert.throws(() => new CutMix(1, { cutmixMinmax: [0.8, 0.2] }), /cutmixMinmax must be \[min, max\]/);
  assert.throws(() => new RandomBatchAugment([new Mixup(1)], [0.5, 0.5]), /1 augmentations but 2 probs/);
  assert.throws(() => new RandomBatchAugment([new Mixup(1), new CutMix(1)], [0.7, 0.5]), /sum to at most 1/);
  torch.tidy(() => {
    assert.throws(
      () => applyMix(torch.zeros([2, 3, 4, 4], { dtype: 'uint8' }), torch.zeros([2, 3]), MIXUP),
      /float \(N, C, H, W\)/,
    );
    assert.throws(() => applyMix(torch.zeros([5, 3, 4, 4]), torch.zeros([4, 3]), MIXUP), /\(N, K\) scores for 5 images/);
    assert.throws(() => softTargetCrossEntropy(torch.zeros([2, 3]), torch.zeros([2, 4])), /must both be \(N, K\)/);
  });
});
