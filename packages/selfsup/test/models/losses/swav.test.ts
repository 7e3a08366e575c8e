import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { SwAVHead } from '../../../src/models/heads/swav-head.js';
import { SwAVLoss, sinkhorn } from '../../../src/models/losses/swav.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import { runRanks } from '../dist-ranks.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });
const at = (iter: number, epoch = 0): TrainProgress => ({ epoch, iter, maxEpochs: 100, maxIters: 1000 });

const scores = pseudo([6, 4], 1);
const x = pseudo([12, 5], 2); // 4 crops × 3 samples, featDim 5
const protos = pseudo([7, 5], 3); // 7 prototypes
const queueRows = pseudo([2, 6, 5], 4); // a full queue of 6 per assigned crop

/** MMSelfSup's distributed_sinkhorn (world size 1) and SwAVLoss, re-stated in PyTorch; one python run. */
const REF = py<{
  q3: number[][];
  q200: number[][];
  loss: number;
  gx: number[][];
  gw: number[][];
  lossQueue: number;
}>(
  `
import torch.nn.functional as F
def sinkhorn(out, iters, eps):
    Q = torch.exp(out / eps).t()
    B = Q.shape[1]; K = Q.shape[0]
    Q /= torch.sum(Q)
    for it in range(iters):
        Q /= torch.sum(Q, dim=1, keepdim=True); Q /= K
        Q /= torch.sum(Q, dim=0, keepdim=True); Q /= B
    Q *= B
    return Q.t()
def swav(x, w, queue=None, num_crops=4, assign=(0, 1), T=0.1, eps=0.05):
    w = F.normalize(w, dim=1)
    out = x @ w.t()
    bs = x.shape[0] // num_crops
    loss = 0
    for i, c in enumerate(assign):
        with torch.no_grad():
            o = out[bs * c:bs * (c + 1)].detach()
            if queue is not None:
                o = torch.cat((queue[i] @ w.t(), o))
            q = sinkhorn(o, 3, eps)[-bs:]
        sub = 0
        for v in [v for v in range(num_crops) if v != c]:
            sub -= torch.mean(torch.sum(q * F.log_softmax(out[bs * v:bs * (v + 1)] / T, dim=1), dim=1))
        loss += sub / (num_crops - 1)
    return loss / len(assign)
S = T(D['scores'])
X = T(D['x']).requires_grad_(True); W = T(D['protos']).requires_grad_(True)
loss = swav(X, W); loss.backward()
lq = swav(T(D['x']), T(D['protos']), queue=T(D['queue']))
OUT = {'q3': sinkhorn(S, 3, 0.05), 'q200': sinkhorn(S, 200, 0.5), 'loss': loss, 'gx': X.grad, 'gw': W.grad, 'lossQueue': lq}`,
  { scores, x, protos, queue: queueRows },
);

test('sinkhorn matches SwAV’s distributed_sinkhorn; its rows are distributions and, converged, prototypes share the mass equally', () => {
  torch.tidy(() => {
    const s = f64(scores);
    const q = sinkhorn(s, 3, 0.05);
    assertClose(q, REF.q3, 1e-9, 'codes after 3 iterations');
    // The last step normalises columns of Qᵀ: each sample's code sums to exactly 1.
    assertClose(q.sum(1), [1, 1, 1, 1, 1, 1], 1e-12, 'per-sample sums');
    const qc = sinkhorn(s, 200, 0.5);
    assertClose(qc, REF.q200, 1e-9, 'codes after 200 iterations');
    // Converged: every prototype receives B/K of the total mass (6 samples, 4 prototypes).
    assertClose(qc.sum(0), [1.5, 1.5, 1.5, 1.5], 1e-9, 'per-prototype sums');
    assertClose(qc.sum(1), [1, 1, 1, 1, 1, 1], 1e-12, 'per-sample sums');
  });
});

function makeLoss(opts: Partial<ConstructorParameters<typeof SwAVLoss>[0]> = {}): SwAVLoss {
  const head = HEADS.build(
    { type: 'SwAVHead', loss: { type: 'SwAVLoss', featDim: 5, numPrototypes: 7, numCrops: [2, 2], ...opts } },
    'head',
  );
  assert.ok(head instanceof SwAVHead);
  const loss = head.loss.to('float64');
  torch.noGrad(() => loss.prototypes.weight.copy_(f64(protos)));
  return loss;
}

test('SwAVLoss matches MMSelfSup’s SwAVLoss in PyTorch (2+2 crops), with gradients; prototypes come out unit-norm', () => {
  torch.tidy(() => {
    const loss = makeLoss();
    const xt = f64(x).requiresGrad_(true);
    const l = loss.forward(xt, at(0));
    l.backward();
    assertClose(l.item(), REF.loss, 1e-10, 'loss');
    assertClose(xt.grad as torch.Tensor, REF.gx, 1e-9, 'gradient of the embeddings');
    // Our prototypes are normalised in place before use, so d/dW at the normalised point equals
    // PyTorch's gradient through normalize() only up to the projection; compare the projected part.
    const w = loss.prototypes.weight;
    assertClose(w.norm(2, 1), new Array(7).fill(1), 1e-12, 'unit prototypes');
    const g = loss.prototypes.weight.grad as torch.Tensor;
    const gRef = f64(REF.gw);
    // PyTorch's gradient w.r.t. the raw W is (I − ŵŵᵀ)·g/‖w‖ per row: project ours the same way.
    const norms = f64(protos).norm(2, 1, { keepdim: true });
    const projected = g.sub(w.mul(g.mul(w).sum(1, { keepdim: true }))).div(norms);
    assertClose(projected, gRef, 1e-9, 'prototype gradient (projected)');
  });
});

test('SwAVLoss with fewer prototypes than dimensions: embeddings orthogonal to all of them sit at loss ln K with zero gradient, and the loss warns', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  torch.tidy(() => {
    // 3 prototypes e1, e2, e3 in 5 dimensions; 2+2 crops of 3 samples living in span(e4, e5).
    const few = new SwAVLoss({ featDim: 5, numPrototypes: 3, numCrops: [2, 2] }).to('float64');
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), /3 prototypes for 5-d embeddings/);
    const eye = torch.eye(5, 5, { dtype: 'float64' });
    torch.noGrad(() => few.prototypes.weight.copy_(eye.narrow(0, 0, 3)));
    const angles = [0.1, 0.7, 1.3, 1.9, 2.5, 3.1, 3.7, 4.3, 4.9, 5.5, 6.1, 0.4];
    const z = f64(angles.map((a) => [0, 0, 0, Math.cos(a), Math.sin(a)])).requiresGrad_(true);
    const l = few.forward(z, at(0));
    l.backward();
    // Every score is 0: codes and predictions are uniform, so each term is −Σ_k (1/K) log(1/K) = ln K,
    // and softmax − codes = 0 makes every gradient vanish.
    assertClose(l.item(), Math.log(3), 1e-12, 'loss ln 3');
    assertClose((z.grad as torch.Tensor).abs().max().item(), 0, 1e-12, 'no gradient to leave it');
    new SwAVLoss({ featDim: 5, numPrototypes: 5, numCrops: [2, 2] });
    assert.equal(warn.mock.callCount(), 1, 'K = featDim: no warning');
  });
});

test('SwAVLoss: frozen prototypes get no gradient; the queue fills newest-first from epochQueueStarts and joins Sinkhorn once full', () => {
  torch.tidy(() => {
    const frozen = makeLoss({ freezePrototypesIters: 3 });
    const xt = f64(x).requiresGrad_(true);
    frozen.forward(xt, at(2)).backward();
    assert.equal(frozen.prototypes.weight.grad, null, 'iteration 2 of 3 frozen: no gradient');
    assert.ok(xt.grad, 'the embeddings still get one');
    frozen.forward(f64(x), at(3)).backward();
    assert.ok(frozen.prototypes.weight.grad, 'iteration 3: trained');

    const q = makeLoss({ queueLength: 6, epochQueueStarts: 1 });
    assert.deepEqual(q.queue?.shape, [2, 6, 5]);
    assert.deepEqual(Object.keys(q.stateDict()), ['queue', 'prototypes.weight'], 'own buffers before children, as PyTorch');
    q.forward(f64(x), at(5, 0));
    assert.equal((q.queue as torch.Tensor).abs().sum().item(), 0, 'epoch 0 < epochQueueStarts: untouched');
    // Two calls of 3 samples fill the 6 rows with the assigned crops' embeddings, newest first;
    // the queue is not used before it is full, so each loss equals the queue-free one.
    const rows = f64(x);
    const batches = [0, 1].map((k) => rows.add(k));
    const plain = makeLoss();
    for (const b of batches) {
      assertClose(q.forward(b, at(5, 1)).item(), plain.forward(b, at(5, 1)).item(), 1e-12, 'queue not yet used');
    }
    const queue = q.queue as torch.Tensor;
    assertClose(queue.select(0, 0).narrow(0, 0, 3), batches[1].narrow(0, 0, 3), 0, 'crop 0, newest batch first');
    assertClose(queue.select(0, 0).narrow(0, 3, 3), batches[0].narrow(0, 0, 3), 0, 'crop 0, previous batch next');
    assertClose(queue.select(0, 1).narrow(0, 0, 3), batches[1].narrow(0, 3, 3), 0, 'crop 1, newest batch');
    const third = rows.add(2);
    assert.ok(
      Math.abs(q.forward(third, at(5, 1)).item() - plain.forward(third, at(5, 1)).item()) > 1e-6,
      'a full queue changes the codes',
    );
    // A full queue takes part: load PyTorch's queue and compare.
    torch.noGrad(() => queue.copy_(f64(queueRows)));
    assertClose(q.forward(f64(x), at(5, 1)).item(), REF.lossQueue, 1e-10, 'loss with a full queue');
  });
});

test("SwAVLoss: queueLength is global (MMSelfSup's SwAVHook): trimmed to a multiple of the global batch, split over processes", async (t) => {
  // One process: the whole length, trimmed to a multiple of the batch.
  const one = makeLoss({ queueLength: 10 });
  assert.deepEqual(one.queue?.shape, [2, 10, 5]);
  assert.equal(one.queueRows(3), 9, '10 trimmed to a multiple of 3');
  assert.equal(one.queueRows(12), 0, 'a batch longer than the queue: no queue');
  if (!torch.distributed.isGlooAvailable()) return t.skip('no Gloo');
  const ranks = await runRanks<{ world: number; shape: number[]; rows: number; filled: boolean[] }>(
    join(dirname(fileURLToPath(import.meta.url)), 'swav-dist-worker.js'),
    2,
  );
  for (const r of ranks) {
    assert.equal(r.world, 2);
    assert.deepEqual(r.shape, [2, 5, 4], 'each process keeps 10 / 2 rows');
    assert.equal(r.rows, 4, '10 trimmed to a multiple of the global batch 2 × 2, then halved');
    assert.deepEqual(r.filled, [true, true, true, true, false], 'two calls of 2 fill the 4 rows used');
  }
});
