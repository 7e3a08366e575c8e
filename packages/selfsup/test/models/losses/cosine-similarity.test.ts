import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { CosineSimilarityLoss } from '../../../src/models/losses/cosine-similarity.js';
import { LOSSES } from '../../../src/models/registries.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const f64 = (x: unknown, shape?: number[]) => {
  const t = torch.tensor(x as number[], { dtype: 'float64' });
  return shape ? t.reshape(shape) : t;
};

test('CosineSimilarityLoss matches shift − scale·cos in PyTorch (plain, shifted, masked), with gradients', () => {
  const pred = pseudo([5, 7], 1);
  const target = pseudo([5, 7], 2);
  const mask = [1, 0, 1, 1, 0];
  const cases = [
    { shiftFactor: 0, scaleFactor: 1, mask: null },
    { shiftFactor: 2, scaleFactor: 2, mask: null },
    { shiftFactor: 2, scaleFactor: 2, mask },
  ];
  const ref = py<{ loss: number; gp: number[][] }[]>(
    `
OUT = []
for c in D['cases']:
    p = T(D['pred']).requires_grad_(True); t = T(D['target'])
    cos = (p * t).sum(-1) / (p.norm(dim=-1) * t.norm(dim=-1))
    terms = c['shiftFactor'] - c['scaleFactor'] * cos
    loss = terms.mean() if c['mask'] is None else (terms * T(c['mask'])).sum() / T(c['mask']).sum()
    loss.backward()
    OUT.append({'loss': loss, 'gp': p.grad})`,
    { pred, target, cases },
  );
  for (const [i, c] of cases.entries()) {
    torch.tidy(() => {
      const loss = LOSSES.build({ type: 'CosineSimilarityLoss', shiftFactor: c.shiftFactor, scaleFactor: c.scaleFactor });
      assert.ok(loss instanceof CosineSimilarityLoss);
      const p = f64(pred).requiresGrad_(true);
      const l = loss.forward(p, f64(target), c.mask ? f64(c.mask) : null);
      l.backward();
      assertClose(l.item(), ref[i].loss, 1e-12, `case ${i}: loss`);
      assertClose(p.grad as torch.Tensor, ref[i].gp, 1e-10, `case ${i}: gradient`);
    });
  }
});

test('CosineSimilarityLoss: identical vectors give shift − scale, orthogonal ones shift, opposite ones shift + scale', () => {
  torch.tidy(() => {
    const l = new CosineSimilarityLoss({ shiftFactor: 2, scaleFactor: 2 });
    const a = f64([
      [3, 0, 0],
      [0, 1, 1],
    ]);
    assertClose(l.forward(a, a.mul(5)).item(), 0, 1e-12, 'same direction: 2 − 2 = 0');
    const b = f64([
      [0, 4, 0],
      [1, 0, 0],
    ]);
    assertClose(l.forward(a, b).item(), 2, 1e-12, 'orthogonal: 2');
    assertClose(l.forward(a, a.neg()).item(), 4, 1e-12, 'opposite: 2 + 2');
  });
});

test('CosineSimilarityLoss gradients match finite differences for both inputs', () => {
  const l = new CosineSimilarityLoss({ shiftFactor: 0.5, scaleFactor: 1.5 });
  gradCheck((p, t) => l.forward(p, t).reshape([1]), [f64(pseudo([4, 6], 3)), f64(pseudo([4, 6], 4))]);
});
