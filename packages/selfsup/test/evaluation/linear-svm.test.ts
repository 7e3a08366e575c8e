import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LinearSVMSolver } from '../../src/evaluation/linear-svm.js';
import { assertClose, pseudo, py } from '../helpers.js';

/** Three overlapping Gaussian-ish classes in 6-d (not separable, so the hinge terms matter). */
function data(n: number, seed: number): { x: number[][]; labels: number[] } {
  const x = pseudo([n, 6], seed) as number[][];
  const labels = x.map((_, i) => i % 3);
  for (let i = 0; i < n; i++) x[i][labels[i]] += 0.8;
  return { x, labels };
}

/** scikit-learn's LinearSVC, one binary problem per class, as MMSelfSup's svm_voc07 builds it. */
const SKLEARN = `
import numpy as np
from sklearn.svm import LinearSVC
x = np.array(D['x'], dtype=np.float64); lab = np.array(D['labels'])
xt = np.array(D['xt'], dtype=np.float64)
OUT = []
for C, s in D['cases']:
  coef, inter, dec, dec_default = [], [], [], []
  for c in range(3):
    yc = np.where(lab == c, 1, -1)
    # 'exact': liblinear's primal trust-region Newton run to a tight tolerance; 'default': MMSelfSup's settings.
    for dual, tol, it, out in [(False, 1e-10, 100000, 'exact'), (True, 1e-4, 2000, 'default')]:
        clf = LinearSVC(C=C, class_weight={1: 2, -1: 1}, intercept_scaling=s, penalty='l2',
                        loss='squared_hinge', tol=tol, dual=dual, max_iter=it)
        clf.fit(x, yc)
        if out == 'exact':
            coef.append(clf.coef_[0].tolist()); inter.append(float(clf.intercept_[0]))
            dec.append(clf.decision_function(xt).tolist())
        else:
            dec_default.append(clf.decision_function(xt).tolist())
  OUT.append(dict(coef=coef, inter=inter, dec=dec, dec_default=dec_default))
`;

function problem(labels: number[], C: number): { y: torch.Tensor; cost: torch.Tensor } {
  const y = labels.map((l) => [0, 1, 2].map((c) => (l === c ? 1 : -1)));
  return {
    y: torch.tensor(y, { dtype: 'float64' }),
    cost: torch.tensor(
      y.map((r) => r.map((v) => (v > 0 ? 2 * C : C))),
      { dtype: 'float64' },
    ),
  };
}

type Ref = { coef: number[][]; inter: number[]; dec: number[][]; dec_default: number[][] };
const CASES = [
  [0.1, 1],
  [10, 1],
  [1, 2.5],
] as const;
const { x, labels } = data(90, 3);
const xt = data(40, 11).x;
let refs: Ref[] | null = null;
// One python run for all cases: starting python3-torch and scikit-learn is the slow part.
const reference = (i: number): Ref => {
  refs ??= py<Ref[]>(SKLEARN, { x, labels, xt, cases: CASES });
  return refs[i];
};

for (const [i, [C, s]] of CASES.entries()) {
  test(`LinearSVMSolver matches scikit-learn's LinearSVC (C=${C}, intercept_scaling=${s})`, () => {
    const ref = reference(i);
    const solver = new LinearSVMSolver(torch.tensor(x), { interceptScaling: s });
    const { y, cost } = problem(labels, C);
    const fit = solver.fit(y, cost);
    assert.ok(fit.converged);
    const coef = fit.coef.t().toList() as number[][];
    assertClose(
      coef.map((r) => r.slice(0, 6)),
      ref.coef,
      1e-6,
      'weights',
    );
    assertClose(
      coef.map((r) => r[6] * s),
      ref.inter,
      1e-6,
      'intercepts',
    );
    const dec = solver.decision(fit.coef, torch.tensor(xt)).t().toList() as number[][];
    assertClose(dec, ref.dec, 1e-6, 'decision values');
    // With MMSelfSup's own tol=1e-4, max_iter=2000 the signs (predictions) agree too.
    for (let c = 0; c < 3; c++)
      assert.deepEqual(
        dec[c].map((v) => v > 0),
        ref.dec_default[c].map((v) => v > 0),
      );
    // Optimality: no sklearn solution has a lower objective.
    const skCoef = torch
      .tensor(
        ref.coef.map((r, c) => [...r, ref.inter[c] / s]),
        { dtype: 'float64' },
      )
      .t();
    const ours = solver.objective(fit.coef, y, cost).toList() as number[];
    const theirs = solver.objective(skCoef, y, cost).toList() as number[];
    for (let c = 0; c < 3; c++) assert.ok(ours[c] <= theirs[c] + 1e-9, `objective ${ours[c]} > sklearn's ${theirs[c]}`);
    solver.dispose();
  });
}

test('LinearSVMSolver: a zero cost removes a sample, a zero column gives w = 0, warm starts agree', () => {
  const { x, labels } = data(60, 5);
  const solver = new LinearSVMSolver(torch.tensor(x));
  const { y, cost } = problem(labels, 1);
  const drop = torch.tensor(
    labels.map((_, i) => (i < 20 ? [0, 0, 0] : [1, 1, 0])),
    { dtype: 'float64' },
  );
  const masked = solver.fit(y, cost.mul(drop));
  const sub = new LinearSVMSolver(torch.tensor(x.slice(20)));
  const p2 = problem(labels.slice(20), 1);
  const direct = sub.fit(p2.y, p2.cost);
  assertClose(masked.coef.narrow(1, 0, 2), direct.coef.narrow(1, 0, 2), 1e-7, 'masked vs subset');
  assert.equal(masked.coef.narrow(1, 2, 1).abs().max().item(), 0);
  const cold = solver.fit(y, cost.mul(10));
  const warm = solver.fit(y, cost.mul(10), masked.coef);
  assertClose(warm.coef, cold.coef, 1e-7, 'warm vs cold start');
  // One Newton step from w = 0 cannot meet the 1e-7 tolerance: the solver must say it stopped short.
  const short = new LinearSVMSolver(torch.tensor(x), { maxIter: 1 }).fit(y, cost.mul(10));
  assert.equal(short.iterations, 1);
  assert.equal(short.converged, false);
  assert.ok(cold.converged);
  solver.dispose();
  sub.dispose();
});

test('LinearSVMSolver rejects bad shapes and options with their names', () => {
  assert.throws(() => new LinearSVMSolver(torch.zeros([3])), /LinearSVMSolver: features must be \(N, D\)/);
  assert.throws(() => new LinearSVMSolver(torch.zeros([3, 2]), { interceptScaling: 0 }), /interceptScaling/);
  const s = new LinearSVMSolver(torch.zeros([3, 2]));
  assert.throws(() => s.fit(torch.zeros([4, 2]), torch.zeros([3, 2])), /y must be \(3, C\)/);
  assert.throws(() => s.fit(torch.zeros([3, 2]), torch.zeros([3, 1])), /differ in C/);
  assert.throws(() => s.fit(torch.zeros([3, 2]), torch.zeros([3, 2]), torch.zeros([2, 2])), /init must be \(3, 2\)/);
  s.dispose();
});
