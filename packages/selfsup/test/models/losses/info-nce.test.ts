import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { contrastiveLoss, infoNceLoss } from '../../../src/models/losses/info-nce.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';

const f64 = (x: unknown, requiresGrad = false) => torch.tensor(x as number[][], { dtype: 'float64' }).requiresGrad_(requiresGrad);

test('infoNceLoss with explicit negatives: a hand-worked case', () => {
  torch.tidy(() => {
    // q = k⁺ = e₁, negatives e₂ and −e₁, τ = 1: logits (1, 0, −1), ℓ = log(1 + e⁻¹ + e⁻²).
    const q = f64([[1, 0]]);
    const negatives = f64([
      [0, 1],
      [-1, 0],
    ]);
    const loss = infoNceLoss(q, q, { negatives, temperature: 1 }).item();
    assert.ok(Math.abs(loss - Math.log(1 + Math.exp(-1) + Math.exp(-2))) < 1e-12, `${loss}`);
    // Normalisation: scaling the inputs changes nothing; τ = 0.5 doubles every logit.
    assert.ok(Math.abs(infoNceLoss(q.mul(3), q.mul(0.2), { negatives: negatives.mul(7), temperature: 1 }).item() - loss) < 1e-12);
    const half = infoNceLoss(q, q, { negatives, temperature: 0.5 }).item();
    assert.ok(Math.abs(half - Math.log(1 + Math.exp(-2) + Math.exp(-4))) < 1e-12, `${half}`);
  });
});

test('contrastiveLoss and infoNceLoss (queue and in-batch negatives) match the InfoNCE formula in PyTorch, with gradients', () => {
  const data = {
    pos: pseudo([5, 1], 1),
    neg: pseudo([5, 7], 2),
    q: pseudo([5, 4], 3),
    k: pseudo([5, 4], 4),
    queue: pseudo([9, 4], 5),
  };
  // The paper's formula, term by term: ℓᵢ = −log(exp(sᵢ⁺/τ) / (exp(sᵢ⁺/τ) + Σⱼ exp(sᵢⱼ⁻/τ))).
  const ref = py<Record<string, number | number[][]>>(
    `import math
def nce(pos, negs, t):
    total = 0.0
    for i in range(len(pos)):
        num = torch.exp(pos[i] / t)
        total = total - torch.log(num / (num + sum(torch.exp(n / t) for n in negs[i])))
    return total / len(pos)
pos, neg = T(D['pos']).requires_grad_(True), T(D['neg']).requires_grad_(True)
l1 = nce(pos[:, 0], neg, 0.1); l1.backward()
q, k, queue = T(D['q']).requires_grad_(True), T(D['k']).requires_grad_(True), T(D['queue'])
def unit(x): return x / x.norm(dim=1, keepdim=True)
qn, kn, un = unit(q), unit(k), unit(queue)
l2 = nce((qn * kn).sum(1), qn @ un.t(), 0.2)
gq2, gk2 = torch.autograd.grad(l2, (q, k))
sim = unit(q) @ unit(k).t()
l3 = nce(sim.diagonal(), [[sim[i, j] for j in range(5) if j != i] for i in range(5)], 0.5)
gq3, gk3 = torch.autograd.grad(l3, (q, k))
OUT = {'l1': l1, 'gpos': pos.grad, 'gneg': neg.grad, 'l2': l2, 'gq2': gq2, 'gk2': gk2, 'l3': l3, 'gq3': gq3, 'gk3': gk3}`,
    data,
  );
  torch.tidy(() => {
    const pos = f64(data.pos, true);
    const neg = f64(data.neg, true);
    const l1 = contrastiveLoss(pos, neg, 0.1);
    l1.backward();
    assertClose(l1.item(), ref.l1 as number, 1e-10, 'contrastiveLoss');
    assertClose(pos.grad as torch.Tensor, ref.gpos as number[][], 1e-10, 'contrastiveLoss d/dpos');
    assertClose(neg.grad as torch.Tensor, ref.gneg as number[][], 1e-10, 'contrastiveLoss d/dneg');

    const q = f64(data.q, true);
    const k = f64(data.k, true);
    const l2 = infoNceLoss(q, k, { negatives: f64(data.queue), temperature: 0.2 });
    const [gq2, gk2] = torch.autograd.grad(l2, [q, k]) as torch.Tensor[];
    assertClose(l2.item(), ref.l2 as number, 1e-10, 'infoNceLoss with a queue');
    assertClose(gq2, ref.gq2 as number[][], 1e-10, 'queue: d/dq');
    assertClose(gk2, ref.gk2 as number[][], 1e-10, 'queue: d/dk');

    const l3 = infoNceLoss(q, k, { temperature: 0.5 });
    const [gq3, gk3] = torch.autograd.grad(l3, [q, k]) as torch.Tensor[];
    assertClose(l3.item(), ref.l3 as number, 1e-10, 'infoNceLoss in-batch');
    assertClose(gq3, ref.gq3 as number[][], 1e-10, 'in-batch: d/dq');
    assertClose(gk3, ref.gk3 as number[][], 1e-10, 'in-batch: d/dk');
  });
});

test('infoNceLoss and contrastiveLoss gradients agree with finite differences', () => {
  torch.manualSeed(0);
  torch.tidy(() => {
    const q = torch.randn([3, 4], { dtype: 'float64' });
    const k = torch.randn([3, 4], { dtype: 'float64' });
    const u = torch.randn([5, 4], { dtype: 'float64' });
    gradCheck((a, b) => infoNceLoss(a, b, { negatives: u, temperature: 0.3 }), [q, k], { what: 'infoNce with queue' });
    gradCheck((a, b) => infoNceLoss(a, b, { temperature: 0.3 }), [q, k], { what: 'infoNce in-batch' });
    gradCheck(
      (p, n) => contrastiveLoss(p, n, 0.2),
      [torch.randn([3, 1], { dtype: 'float64' }), u.narrow(1, 0, 3).t().contiguous()],
      {
        what: 'contrastiveLoss',
      },
    );
  });
});

test('contrastiveLoss and infoNceLoss reject bad shapes and temperatures', () => {
  torch.tidy(() => {
    const a = torch.randn([3, 4]);
    assert.throws(() => contrastiveLoss(a, a, 0.1), /pos must be \(N, 1\)/);
    assert.throws(() => contrastiveLoss(a.narrow(1, 0, 1), a, 0), /temperature/);
    assert.throws(() => infoNceLoss(a, torch.randn([2, 4])), /\(N, D\)/);
  });
});
