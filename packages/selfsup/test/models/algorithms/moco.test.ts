import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import '../../../src/models/necks/linear-neck.js';
import '../../../src/models/necks/mocov2-neck.js';
import { MoCo } from '../../../src/models/algorithms/moco.js';
import { assertClose } from '../../helpers.js';
import { runRanks } from '../dist-ranks.js';
import { fixedBatch, tinyResNet, trainSteps } from './fixture.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

// Tiny models gain nothing from intra-op threads, and spinning threads slow a shared machine down.
torch.setNumThreads(1);

const cfg = {
  type: 'MoCo',
  backbone: tinyResNet,
  neck: { type: 'MoCoV2Neck', inChannels: 64, hidChannels: 64, outChannels: 16 },
  head: { type: 'ContrastiveHead', temperature: 0.2 },
  featDim: 16,
};

const build = (extra: Record<string, unknown> = {}) => ALGORITHMS.buildAs({ ...cfg, ...extra }, 'model', MoCo, 'test');

test('MoCo v2 trains: 10 SGD steps with the default queue (65536) give finite, decreasing losses', () => {
  torch.manualSeed(0);
  const algo = build();
  assert.ok(algo instanceof MoCo);
  assert.equal(algo.queueLen, 65536);
  assert.equal(algo.encoderK.baseMomentum, 0.999);
  const losses = trainSteps(algo, fixedBatch(2), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});

test('MoCo v1 (LinearNeck) builds and gives a finite loss; the key encoder starts as a frozen copy', () => {
  torch.manualSeed(2);
  const algo = build({ neck: { type: 'LinearNeck', inChannels: 64, outChannels: 16 }, queueLen: 64 });
  const q = algo.stateDict();
  for (const [k, t] of Object.entries(q)) {
    if (!k.startsWith('encoder_k.module.') || k.endsWith('num_batches_tracked')) continue;
    const online = k.startsWith('encoder_k.module.0.') ? `backbone.${k.slice(19)}` : `neck.${k.slice(19)}`;
    assert.ok(q[online], `${online} exists`);
    assert.equal(t.sub(q[online]).abs().max().item(), 0, `${k} equals ${online}`);
  }
  assert.ok(algo.encoderK.parameters().every((p) => !p.requiresGrad));
  const out = torch.tidy(() => algo.loss(fixedBatch(2)).logs.loss_contrastive);
  assert.ok(Number.isFinite(out));
  algo.dispose();
});

test('MoCo key encoder is the EMA of the query encoder: θk ← m·θk + (1 − m)·θq after a step', () => {
  torch.manualSeed(3);
  const algo = build({ queueLen: 64, momentum: 0.9 });
  const batch = fixedBatch(2);
  trainSteps(algo, batch, 1); // the first update copies; the SGD step then moves the query encoder
  const key = algo.encoderK.module.backbone.stateDict()['layer1.0.conv1.weight'];
  const query = algo.backbone.stateDict()['layer1.0.conv1.weight'];
  const k0 = key.clone();
  const q0 = query.clone();
  assert.ok(k0.sub(q0).abs().max().item() > 1e-6, 'the step moved the query encoder');
  torch.tidy(() => algo.loss(batch));
  assertClose(key, k0.mul(0.9).add(q0.mul(0.1)), 1e-6, 'EMA update');
  assert.equal(algo.encoderK.steps.item(), 2);
  for (const t of [k0, q0]) t.dispose();
  algo.dispose();
});

test("MoCo keeps working after the runner's syncBn swaps BatchNorm for SyncBatchNorm", () => {
  torch.manualSeed(7);
  const algo = build({ queueLen: 64, momentum: 0.5 });
  const batch = fixedBatch(2);
  trainSteps(algo, batch, 1);
  torch.nn.SyncBatchNorm.convert(algo as unknown as torch.Module<never[], unknown>);
  assert.ok(algo.encoderK.module.backbone.stateDict()['bn1.weight']);
  const bnKey = (algo.encoderK.module.backbone as unknown as { bn1: torch.nn.SyncBatchNorm }).bn1;
  const bnQuery = (algo.backbone as unknown as { bn1: torch.nn.SyncBatchNorm }).bn1;
  assert.ok(bnKey instanceof torch.nn.SyncBatchNorm && bnQuery instanceof torch.nn.SyncBatchNorm);
  const k0 = (bnKey.weight as torch.Tensor).clone();
  const q0 = (bnQuery.weight as torch.Tensor).clone();
  assert.ok(k0.sub(q0).abs().max().item() > 1e-6);
  const loss = torch.tidy(() => algo.loss(batch).loss.item());
  assert.ok(Number.isFinite(loss));
  // The converted layers are averaged too: (k0 + q0)/2 with m = 0.5.
  assertClose(bnKey.weight as torch.Tensor, k0.add(q0).div(2), 1e-6, 'converted key BN weight');
  assert.ok(trainSteps(algo, batch, 2).every(Number.isFinite));
  for (const t of [k0, q0]) t.dispose();
  algo.dispose();
});

test('MoCo queue: the pointer advances by the batch size and wraps; enqueued keys are the normalised keys', () => {
  torch.manualSeed(4);
  const algo = build({ queueLen: 20 });
  const batch = fixedBatch(2);
  assert.deepEqual(algo.queue.shape, [16, 20]);
  assertClose(algo.queue.norm(2, 0), new Array(20).fill(1), 1e-5, 'the initial queue is normalised');
  const ptrs: number[] = [];
  for (let i = 0; i < 3; i++) {
    torch.tidy(() => algo.loss(batch));
    ptrs.push(algo.queuePtr.item());
  }
  assert.deepEqual(ptrs, [8, 16, 4]);
  torch.tidy(() => {
    // The third batch's keys went to columns 16…19 and 0…3: recompute them with the key encoder as it is now.
    const keys = torch.F.normalize(algo.encoderK.forward(algo.preprocess(batch.views[1]))[0], { dim: 1 });
    const cols = torch.tensor([16, 17, 18, 19, 0, 1, 2, 3]);
    const stored = algo.queue.indexSelect(1, cols).t();
    assertClose(stored, keys, 1e-5, 'enqueued keys');
    assertClose(stored.norm(2, 1), new Array(8).fill(1), 1e-5, 'unit norm');
  });
  const even = build({ queueLen: 16 });
  for (let i = 0; i < 2; i++) torch.tidy(() => even.loss(batch));
  assert.equal(even.queuePtr.item(), 0, 'two batches of 8 fill a queue of 16 and wrap to 0');
  algo.dispose();
  even.dispose();
});

test("MoCo state dict has MMSelfSup's keys and a checkpoint restores the queue and its pointer", () => {
  torch.manualSeed(5);
  const algo = build({ queueLen: 32 });
  torch.tidy(() => algo.loss(fixedBatch(2)));
  const keys = Object.keys(algo.stateDict());
  assert.deepEqual(keys.slice(0, 2), ['queue', 'queue_ptr']);
  for (const k of [
    'backbone.conv1.weight',
    'neck.mlp.0.weight',
    'encoder_k.steps',
    'encoder_k.module.0.conv1.weight',
    'encoder_k.module.1.mlp.2.bias',
  ])
    assert.ok(keys.includes(k), k);
  const file = join(mkdtempSync(join(tmpdir(), 'selfsup-moco-')), 'ckpt.pth');
  torch.save(algo.stateDict(), file);
  torch.manualSeed(6);
  const fresh = build({ queueLen: 32 });
  assert.ok(fresh.queue.sub(algo.queue).abs().max().item() > 0);
  fresh.loadStateDict(torch.load(file) as Record<string, torch.Tensor>);
  assert.equal(fresh.queue.sub(algo.queue).abs().max().item(), 0);
  assert.equal(fresh.queuePtr.item(), 8);
  assert.equal(fresh.encoderK.steps.item(), 1);
  algo.dispose();
  fresh.dispose();
});

test('MoCo config errors', () => {
  assert.throws(() => build({ featDim: 32, queueLen: 16 }).loss(fixedBatch(2)), /featDim is 32/);
  assert.throws(() => build({ momentum: 1.5 }), /model\.momentum/);
  assert.throws(() => build({ queueLen: 0 }), /model\.queueLen/);
  assert.throws(() => build({ queueLen: 16 }).loss(fixedBatch(1)), /expected at least 2 views/);
});

interface ShuffleOut {
  rank: number;
  shuffled: number[];
  restored: number[];
  ptr: number;
  queue: number[][];
}

test('MoCo shuffle-BN and enqueue across 2 Gloo processes', { skip: !torch.distributed.isGlooAvailable() }, async () => {
  const out = await runRanks<ShuffleOut>(join(dirname(fileURLToPath(import.meta.url)), 'moco-dist-worker.js'), 2);
  // Rank r holds samples 3r … 3r+2 (the value of a row is its global index).
  const all = [...out[0].shuffled, ...out[1].shuffled];
  assert.deepEqual([...all].sort(), [0, 1, 2, 3, 4, 5], 'the shuffled halves partition the global batch');
  assert.notDeepEqual(all, [0, 1, 2, 3, 4, 5], 'the global batch was permuted');
  for (const r of out) {
    assert.deepEqual(
      r.restored,
      [0, 1, 2].map((i) => 3 * r.rank + i),
      'unshuffle restores the original rows',
    );
    assert.equal(r.ptr, 6, 'the pointer advances by the global batch');
    // Both processes enqueue every key, in rank order.
    assert.deepEqual(r.queue[0].slice(0, 6), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(r.queue[0].slice(6), [-1, -1]);
  }
});
