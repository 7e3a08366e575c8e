import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { averagePrecisionScore, vocAveragePrecision } from '../../src/evaluation/average-precision.js';
import { lowShotIndices, lowShotSvm, stratifiedKFold, svmClassify, svmCostList } from '../../src/evaluation/svm-benchmark.js';
import { assertClose, pseudo, py } from '../helpers.js';
import { PY_SVM } from './svm-reference.js';

test('vocAveragePrecision and averagePrecisionScore: a hand-computed example with ties', () => {
  const scores = [0.9, 0.8, 0.8, 0.3, 0.3, 0.1];
  const pos = [1, 0, 1, 0, 1, 0];
  // VOC: ranks 0, 2, 1, 4, 3, 5 (later sample first among ties): P = 1, 1, 2/3, 3/4, 3/5, 1/2 at
  // R = 1/3, 2/3, 2/3, 1, 1, 1; interpolated: 1/3·1 + 1/3·1 + 1/3·3/4.
  assertClose([vocAveragePrecision(scores, pos)], [11 / 12], 1e-15);
  // scikit-learn: thresholds 0.9, 0.8, 0.3 close at (R, P) = (1/3, 1), (2/3, 2/3), (1, 3/5).
  assertClose([averagePrecisionScore(scores, pos)], [1 / 3 + 2 / 9 + 1 / 5], 1e-15);
  assert.ok(Number.isNaN(vocAveragePrecision([1, 2], [0, 0])));
  assert.throws(() => vocAveragePrecision([1, 2], [1]), /vocAveragePrecision: 2 scores but 1 labels/);
});

test('average precisions match MMSelfSup get_precision_recall and scikit-learn on random rankings with ties', () => {
  const cases = [0, 1, 2, 3].map((k) => {
    const s = (pseudo([13], 20 + k) as number[]).map((v) => Math.round(v * 4) / 4);
    const p = (pseudo([13], 40 + k) as number[]).map((v, i) => (v > 0.2 || i === k ? 1 : 0));
    return { s, p };
  });
  const ref = py<{ voc: number[]; sk: number[] }>(
    `${PY_SVM}
OUT = dict(voc=[voc_ap(np.array(c['p']) * 2 - 1, np.array(c['s'])) for c in D['cases']],
           sk=[float(average_precision_score(np.array(c['p']), np.array(c['s']))) for c in D['cases']])`,
    { cases },
  );
  assertClose(
    cases.map((c) => vocAveragePrecision(c.s, c.p)),
    ref.voc,
    1e-12,
    'VOC AP',
  );
  assertClose(
    cases.map((c) => averagePrecisionScore(c.s, c.p)),
    ref.sk,
    1e-12,
    'sklearn AP',
  );
});

test("stratifiedKFold assigns scikit-learn's StratifiedKFold(shuffle=False) test folds", () => {
  const labelSets = [
    [1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1, -1, 1, -1],
    [2, 0, 1, 1, 2, 0, 0, 0, 2, 1, 1, 1, 0, 2, 2, 0, 1],
  ];
  const ref = py<number[][]>(
    `from sklearn.model_selection import StratifiedKFold
import numpy as np
OUT = []
for y in D['sets']:
    f = np.zeros(len(y), dtype=int)
    for k, (_, te) in enumerate(StratifiedKFold(3).split(np.zeros(len(y)), y)):
        f[te] = k
    OUT.append(f.tolist())`,
    { sets: labelSets },
  );
  assert.deepEqual(
    labelSets.map((l) => Array.from(stratifiedKFold(l, 3))),
    ref,
  );
  assert.throws(() => stratifiedKFold([0, 1], 3), /no class has 3 samples/);
});

test("svmCostList is MMSelfSup's parse_cost_list('1.0,10.0,100.0')", () => {
  const c = svmCostList();
  assert.equal(c.length, 19);
  assert.deepEqual(c.slice(0, 4), [1, 10, 100, 1 / 16]);
  assert.equal(c[18], 2 ** -19);
});

/** Three noisy classes in 5-d. */
function features(n: number, seed: number): { x: number[][]; l: number[] } {
  const x = pseudo([n, 5], seed) as number[][];
  const l = x.map((_, i) => (i * 7) % 3);
  for (let i = 0; i < n; i++) x[i][l[i]] += 0.6;
  return { x, l };
}

test('svmClassify reproduces the VOC07 protocol (cross-validated cost per class, refit, test mAP and top-1)', () => {
  const tr = features(60, 7);
  const te = features(30, 8);
  const costs = [0.01, 0.1, 1, 10];
  const ref = py<{ costs: number[]; cv: number[]; mAP: number; top1: number; aps: number[] }>(
    `${PY_SVM}
xtr, xte = norm(D['xtr']), norm(D['xte'])
ltr, lte = np.array(D['ltr']), np.array(D['lte'])
chosen, cv, models = [], [], []
for c in range(3):
    y = np.where(ltr == c, 1, -1)
    s = [cross_val_score(svc(C), xtr, y, cv=3, scoring='average_precision').mean() for C in D['costs']]
    j = int(np.argmax(s))
    chosen.append(D['costs'][j]); cv.append(float(s[j]) * 100)
    models.append(svc(D['costs'][j]).fit(xtr, y))
mAP, top1, aps = test_scores(models, xte, lte, 3)
OUT = dict(costs=chosen, cv=cv, mAP=mAP, top1=top1, aps=aps)`,
    { xtr: tr.x, ltr: tr.l, xte: te.x, lte: te.l, costs },
  );
  const lab = (l: number[]) => torch.tensor(Int32Array.from(l)).long();
  const r = svmClassify(
    { features: torch.tensor(tr.x), labels: lab(tr.l) },
    { features: torch.tensor(te.x), labels: lab(te.l) },
    { costs },
  );
  assert.deepEqual(r.costs, ref.costs);
  assertClose(r.crossValAP, ref.cv, 1e-6, 'cross-validation AP');
  assertClose(r.classAP, ref.aps, 1e-6, 'test AP');
  assertClose([r.mAP, r.top1], [ref.mAP, ref.top1], 1e-6, 'mAP, top-1');
  assert.throws(
    () =>
      svmClassify({ features: torch.zeros([2, 3]), labels: lab([0, 1]) }, { features: torch.zeros([2, 4]), labels: lab([0, 1]) }),
    /svmClassify: train features are 3-d, test features 4-d/,
  );
  assert.throws(
    () =>
      svmClassify(
        { features: torch.zeros([2, 3]), labels: lab([0, 1]) },
        { features: torch.zeros([2, 3]), labels: lab([0, 1]) },
        { costs: [0] },
      ),
    /svmClassify: costs must be positive/,
  );
});

test('lowShotIndices: exactly k per class, seeded, nested across k, an error when a class is short', () => {
  const labels = Array.from({ length: 50 }, (_, i) => (i * 3) % 5);
  for (const k of [1, 3, 10]) {
    const idx = lowShotIndices(labels, k, 4, 5);
    const counts = [0, 0, 0, 0, 0];
    for (const i of idx) counts[labels[i]]++;
    assert.deepEqual(counts, [k, k, k, k, k]);
    assert.equal(new Set(idx).size, idx.length);
    assert.deepEqual(lowShotIndices(labels, k, 4, 5), idx);
  }
  assert.notDeepEqual(lowShotIndices(labels, 3, 4, 5), lowShotIndices(labels, 3, 5, 5));
  const big = new Set(lowShotIndices(labels, 6, 9, 5));
  for (const i of lowShotIndices(labels, 2, 9, 5)) assert.ok(big.has(i), 'the 2-shot sample is inside the 6-shot one');
  assert.throws(() => lowShotIndices(labels, 11, 0, 5), /classes 0, 1, 2, 3, 4 have fewer than 11 samples/);
  assert.throws(() => lowShotIndices(labels, 0, 0, 5), /k must be a positive integer/);
});

test('lowShotSvm: per k, the cost with the best mean test mAP over samples, and the mean/min/max/std there', () => {
  const tr = features(45, 17);
  const te = features(30, 18);
  const costs = [0.1, 1, 10];
  const shots = [1, 4, 10];
  const samples = 2;
  const seed = 3;
  const idx = shots.map((k) => Array.from({ length: samples }, (_, s) => lowShotIndices(tr.l, k, seed + s, 3)));
  const ref = py<{ cost: number; mAP: number[]; top1: number[] }[]>(
    `${PY_SVM}
xtr, xte = norm(D['xtr']), norm(D['xte'])
ltr, lte = np.array(D['ltr']), np.array(D['lte'])
OUT = []
for per_k in D['idx']:
    m = np.zeros((len(per_k), len(D['costs']))); t = np.zeros_like(m)
    for s, ind in enumerate(per_k):
        for j, C in enumerate(D['costs']):
            models = [svc(C).fit(xtr[ind], np.where(ltr[ind] == c, 1, -1)) for c in range(3)]
            m[s, j], t[s, j], _ = test_scores(models, xte, lte, 3)
    j = int(np.argmax(m.mean(0)))
    OUT.append(dict(cost=D['costs'][j], mAP=[m[:, j].mean(), m[:, j].min(), m[:, j].max(), m[:, j].std()],
                    top1=[t[:, j].mean(), t[:, j].min(), t[:, j].max(), t[:, j].std()]))`,
    { xtr: tr.x, ltr: tr.l, xte: te.x, lte: te.l, costs, idx },
  );
  const lab = (l: number[]) => torch.tensor(Int32Array.from(l)).long();
  const r = lowShotSvm(
    { features: torch.tensor(tr.x), labels: lab(tr.l) },
    { features: torch.tensor(te.x), labels: lab(te.l) },
    { costs, shots: [...shots, 99], samples, seed },
  );
  assert.deepEqual(r.warnings, ['k = 99 skipped: the smallest class has 15 training samples']);
  shots.forEach((k, i) => {
    const got = r.shots[k];
    assert.equal(got.cost, ref[i].cost, `k=${k} cost`);
    const st = (s: { mean: number; min: number; max: number; std: number }) => [s.mean, s.min, s.max, s.std];
    assertClose(st(got.mAP), ref[i].mAP, 1e-6, `k=${k} mAP`);
    assertClose(st(got.top1), ref[i].top1, 1e-6, `k=${k} top-1`);
  });
});
