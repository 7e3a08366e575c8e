import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { infoNceLoss } from '../../../src/models/losses/info-nce.js';
import { ntxentLoss } from '../../../src/models/losses/ntxent.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';
import { runRanks } from '../dist-ranks.js';
import { globalBatch, PER_RANK, WORLD } from './dist-data.js';

const f64 = (x: unknown, requiresGrad = false) => torch.tensor(x as number[][], { dtype: 'float64' }).requiresGrad_(requiresGrad);

test('ntxentLoss: a hand-worked case', () => {
  torch.tidy(() => {
    // Two images whose views coincide, e₁ and e₂, τ = 0.5: every row has its positive at
    // similarity 1 and two negatives at 0, so ℓ = log(1 + 2e⁻²) for all four rows.
    const z = f64([
      [1, 0],
      [0, 1],
    ]);
    const loss = ntxentLoss(z, z, { temperature: 0.5 }).item();
    assert.ok(Math.abs(loss - Math.log(1 + 2 * Math.exp(-2))) < 1e-12, `${loss}`);
    // One image: no negatives, the positive is the whole softmax.
    assert.ok(Math.abs(ntxentLoss(f64([[1, 2]]), f64([[3, -1]]), { temperature: 0.1 }).item()) < 1e-12);
  });
});

test("ntxentLoss matches SimCLR's formula (interleaved pairs, k ≠ i) in PyTorch, with gradients", () => {
  const data = { z1: pseudo([4, 5], 11), z2: pseudo([4, 5], 12) };
  // The paper's Algorithm 1: z_{2k−1}, z_{2k} are the two views of image k (0-based here),
  // ℓ(i, j) = −log exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ), L = 1/2N Σ_k ℓ(2k, 2k+1) + ℓ(2k+1, 2k).
  const ref = py<{ loss: number; g1: number[][]; g2: number[][] }>(
    `z1, z2 = T(D['z1']).requires_grad_(True), T(D['z2']).requires_grad_(True)
N, t = z1.shape[0], 0.3
z = torch.stack([z1, z2], 1).reshape(2 * N, -1)
z = z / z.norm(dim=1, keepdim=True)
s = z @ z.t()
def l(i, j): return -torch.log(torch.exp(s[i, j] / t) / sum(torch.exp(s[i, k] / t) for k in range(2 * N) if k != i))
L = sum(l(2 * k, 2 * k + 1) + l(2 * k + 1, 2 * k) for k in range(N)) / (2 * N)
L.backward()
OUT = {'loss': L, 'g1': z1.grad, 'g2': z2.grad}`,
    data,
  );
  torch.tidy(() => {
    const z1 = f64(data.z1, true);
    const z2 = f64(data.z2, true);
    const loss = ntxentLoss(z1, z2, { temperature: 0.3 });
    loss.backward();
    assertClose(loss.item(), ref.loss, 1e-10, 'NT-Xent');
    assertClose(z1.grad as torch.Tensor, ref.g1, 1e-10, 'd/dz1');
    assertClose(z2.grad as torch.Tensor, ref.g2, 1e-10, 'd/dz2');
  });
});

test('ntxentLoss gradient agrees with finite differences; bad input is rejected', () => {
  torch.manualSeed(1);
  torch.tidy(() => {
    gradCheck(
      (a, b) => ntxentLoss(a, b, { temperature: 0.2 }),
      [torch.randn([3, 4], { dtype: 'float64' }), torch.randn([3, 4], { dtype: 'float64' })],
    );
    assert.throws(() => ntxentLoss(torch.randn([3, 4]), torch.randn([3, 5])), /\(N, D\)/);
    assert.throws(() => ntxentLoss(torch.randn([3, 4]), torch.randn([3, 4]), { temperature: -1 }), /temperature/);
  });
});

interface RankOut {
  rank: number;
  world: number;
  loss: number;
  local: number;
  g1: number[][];
  g2: number[][];
  nce: number;
  gq: number[][];
}

test('distributed (2 Gloo processes): gathered negatives give the global-batch loss and gradients', {
  skip: !torch.distributed.isGlooAvailable(),
}, async () => {
  const ranks = await runRanks<RankOut>(join(dirname(fileURLToPath(import.meta.url)), 'dist-worker.js'), WORLD);
  torch.tidy(() => {
    const g = globalBatch();
    const z1 = g.z1.requiresGrad_(true);
    const z2 = g.z2.requiresGrad_(true);
    const full = ntxentLoss(z1, z2, { temperature: 0.3 });
    full.backward();
    const q = g.z1.detach().requiresGrad_(true);
    const nce = infoNceLoss(q, g.z2.detach(), { temperature: 0.2 });
    nce.backward();
    // Each process averages its own rows, so the mean over processes is the global loss, and
    // each process's gradient (its loss plus every other's through the gather) is W × the global one.
    assertClose((ranks[0].loss + ranks[1].loss) / 2, full.item(), 1e-10, 'mean NT-Xent over ranks');
    assertClose((ranks[0].nce + ranks[1].nce) / 2, nce.item(), 1e-10, 'mean in-batch InfoNCE over ranks');
    for (const r of ranks) {
      assert.equal(r.world, WORLD);
      const rows = (t: torch.Tensor) => t.narrow(0, r.rank * PER_RANK, PER_RANK).mul(WORLD);
      assertClose(r.g1, rows(z1.grad as torch.Tensor), 1e-10, `rank ${r.rank}: d/dz1`);
      assertClose(r.g2, rows(z2.grad as torch.Tensor), 1e-10, `rank ${r.rank}: d/dz2`);
      assertClose(r.gq, rows(q.grad as torch.Tensor), 1e-10, `rank ${r.rank}: InfoNCE d/dq`);
      // Without gathering each process only sees its own negatives: a different (smaller-batch) loss.
      const own = ntxentLoss(g.z1.narrow(0, r.rank * PER_RANK, PER_RANK), g.z2.narrow(0, r.rank * PER_RANK, PER_RANK), {
        temperature: 0.3,
      });
      assertClose(r.local, own.item(), 1e-10, `rank ${r.rank}: gather false`);
      assert.ok(Math.abs(r.local - r.loss) > 1e-3, 'gathering changes the loss');
    }
  });
});
