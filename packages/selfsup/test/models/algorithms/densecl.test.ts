import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import '../../../src/models/necks/linear-neck.js';
import { DenseCL, denseLogits } from '../../../src/models/algorithms/densecl.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

// Tiny models gain nothing from intra-op threads, and spinning threads slow a shared machine down.
torch.setNumThreads(1);

const denseclCfg = {
  type: 'DenseCL',
  backbone: tinyResNet,
  neck: { type: 'DenseCLNeck', inChannels: 64, hidChannels: 64, outChannels: 16 },
  head: { type: 'ContrastiveHead', temperature: 0.2 },
  featDim: 16,
};

test('DenseCL trains: 10 SGD steps give finite, decreasing losses with both terms logged', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(denseclCfg, 'model', DenseCL, 'test');
  assert.ok(algo instanceof DenseCL);
  assert.equal(algo.lossLambda, 0.5);
  const losses = trainSteps(algo, fixedBatch(2), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  const out = torch.tidy(() => algo.loss(fixedBatch(2)));
  assertClose(out.loss.item(), out.logs.loss_single + out.logs.loss_dense, 1e-5, 'loss = weighted single + dense');
  assert.ok(out.logs.loss_single > 0 && out.logs.loss_dense > 0);
  algo.dispose();
});

test("denseLogits matches MMSelfSup's dense positives (argmax backbone match) and queue negatives in PyTorch", () => {
  const data = {
    qb: pseudo([2, 3, 4], 1),
    kb: pseudo([2, 3, 4], 2),
    qg: pseudo([2, 5, 4], 3),
    kg: pseudo([2, 5, 4], 4),
    queue: pseudo([5, 6], 5),
  };
  const ref = py<{ pos: number[][]; neg: number[][] }>(
    `n = lambda x: torch.nn.functional.normalize(x, dim=1)
q_b, k_b, q_grid, k_grid, queue = n(T(D['qb'])), n(T(D['kb'])), n(T(D['qg'])), n(T(D['kg'])), T(D['queue'])
backbone_sim_matrix = torch.matmul(q_b.permute(0, 2, 1), k_b)
densecl_sim_ind = backbone_sim_matrix.max(dim=2)[1]
indexed_k_grid = torch.gather(k_grid, 2, densecl_sim_ind.unsqueeze(1).expand(-1, k_grid.size(1), -1))
l_pos_dense = (q_grid * indexed_k_grid).sum(1).view(-1).unsqueeze(-1)
q_grid = q_grid.permute(0, 2, 1).reshape(-1, q_grid.size(1))
OUT = {'pos': l_pos_dense, 'neg': torch.einsum('nc,ck->nk', [q_grid, queue])}`,
    data,
  );
  torch.tidy(() => {
    const t = (x: unknown) => torch.F.normalize(torch.tensor(x as number[][][], { dtype: 'float64' }), { dim: 1 });
    const { pos, neg } = denseLogits(
      t(data.qb),
      t(data.kb),
      t(data.qg),
      t(data.kg),
      torch.tensor(data.queue as number[][], { dtype: 'float64' }),
    );
    assertClose(pos, ref.pos, 1e-10, 'dense positives');
    assertClose(neg, ref.neg, 1e-10, 'dense negatives');
  });
});

test("DenseCL queues: both pointers advance, keys are normalised; λ weights the terms; MMSelfSup's keys", () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs({ ...denseclCfg, queueLen: 24, lossLambda: 0.3 }, 'model', DenseCL, 'test');
  const batch = fixedBatch(2);
  const out = torch.tidy(() => algo.loss(batch));
  assert.equal(algo.queuePtr.item(), 8);
  assert.equal(algo.queue2Ptr.item(), 8);
  torch.tidy(() => {
    assertClose(algo.queue.narrow(1, 0, 8).norm(2, 0), new Array(8).fill(1), 1e-5, 'global keys');
    assertClose(algo.queue2.narrow(1, 0, 8).norm(2, 0), new Array(8).fill(1), 1e-5, 'dense keys');
    // The two queues got different keys (global projection vs averaged dense projection).
    assert.ok(
      algo.queue
        .narrow(1, 0, 8)
        .sub(algo.queue2.narrow(1, 0, 8))
        .abs()
        .max()
        .item() > 1e-3,
    );
  });
  // λ = 0 leaves the global term alone, unweighted.
  algo.lossLambda = 0;
  const zero = torch.tidy(() => algo.loss(batch).logs);
  assert.equal(zero.loss_dense, 0);
  algo.lossLambda = 1;
  const one = torch.tidy(() => algo.loss(batch).logs);
  assert.equal(one.loss_single, 0);
  assert.ok(out.logs.loss_single > 0 && zero.loss_single > 0 && one.loss_dense > 0);
  const keys = Object.keys(algo.stateDict());
  assert.deepEqual(keys.slice(0, 4), ['queue', 'queue_ptr', 'queue2', 'queue2_ptr']);
  for (const k of [
    'neck.mlp2.0.weight',
    'encoder_k.steps',
    'encoder_k.module.1.mlp2.2.bias',
    'encoder_k.module.0.layer4.1.bn2.weight',
  ])
    assert.ok(keys.includes(k), k);
  assert.throws(
    () => ALGORITHMS.build({ ...denseclCfg, neck: { type: 'LinearNeck', inChannels: 64, outChannels: 16 } }, 'model'),
    /model\.neck\.type: DenseCL needs a DenseCLNeck \(or a subclass\), got 'LinearNeck'/,
  );
  algo.dispose();
});
