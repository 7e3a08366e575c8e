import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import { assertClose, freePort } from '../helpers.js';
import { BATCH, SmallNet, train } from './ddp-model.js';

const here = dirname(fileURLToPath(import.meta.url));
const worker = join(here, 'worker.js');

function runRanks(world: number, port: number, script = worker): Promise<Record<string, unknown>[]> {
  return Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const env = {
            ...process.env,
            RANK: String(rank),
            WORLD_SIZE: String(world),
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
          };
          const p = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (err += d));
          p.on('close', (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() as string));
            else reject(new Error(`rank ${rank} exited ${code}: ${err}`));
          });
        }),
    ),
  );
}

test('Gloo collectives across 2 processes on loopback: allReduce (sum, max, avg), allGather, broadcast, barrier', {
  skip: !torch.distributed.isGlooAvailable(),
}, async () => {
  const results = await runRanks(2, await freePort());
  for (const r of results) {
    assert.equal(r.world, 2);
    assert.deepEqual(r.sum, [1 + 2, 10 + 20]);
    assert.deepEqual(r.max, [1, 0]);
    assert.deepEqual(r.avg, [1.5, 1.5, 1.5]);
    assert.deepEqual(r.gathered, [[[0, 0]], [[1, 2]]]);
    assert.deepEqual(r.bcast, [7, 8, 9]);
    assert.deepEqual(r.gatheredWithGrad, [
      [1, 2],
      [2, 4],
    ]);
    // Both ranks compute loss = 10·sum(x₀·1) + 11·sum(x₁·2); summed over the 2 ranks' losses,
    // rank r's x gets 2 · (10 + r) · (r + 1) per element.
    const rank = r.rank as number;
    const g = 2 * (10 + rank) * (rank + 1);
    assert.deepEqual(r.grad, [g, g]);
  }
});

test('a single-process group works and misuse is reported', { skip: !torch.distributed.isGlooAvailable() }, async () => {
  const [r] = await runRanks(1, await freePort());
  assert.deepEqual(r.sum, [1, 10]);
  assert.deepEqual(r.gathered, [[[0, 0]]]);
  assert.throws(() => torch.distributed.barrier(), /not initialized/);
  assert.equal(torch.distributed.getWorldSize(), 1);
  const saved = { ...process.env };
  Object.assign(process.env, { WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1' });
  delete process.env.RANK;
  delete process.env.MASTER_PORT;
  try {
    assert.throws(() => torch.distributed.initProcessGroup(), /set RANK, MASTER_PORT \(environment\)/);
    process.env.RANK = 'x';
    assert.throws(() => torch.distributed.initProcessGroup(), /RANK=x is not a non-negative integer/);
  } finally {
    for (const k of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT']) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('a rank whose peers never come times out with an error instead of hanging', {
  skip: !torch.distributed.isGlooAvailable(),
}, async () => {
  const port = await freePort();
  const t0 = Date.now();
  assert.throws(
    () =>
      torch.distributed.initProcessGroup({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 1500 }),
    /initProcessGroup: .*(timeout|Timed out|timed out)/i,
  );
  assert.ok(Date.now() - t0 < 20_000);
  assert.equal(torch.distributed.isInitialized(), false);
});

test('DDP with SyncBatchNorm: 2 processes × batch B end with the parameters of 1 process × batch 2B', {
  skip: !torch.distributed.isGlooAvailable(),
}, async () => {
  const ranks = (await runRanks(2, await freePort(), join(here, 'ddp-worker.js'))) as Record<string, number[]>[];
  const reference = torch.tidy(() => {
    torch.manualSeed(1234);
    return train(new SmallNet(false), [0, 2 * BATCH], () => {});
  });
  for (const [k, v] of Object.entries(reference)) {
    assertClose(ranks[0][k], v, 1e-5, `rank 0 ${k}`);
    assertClose(ranks[1][k], v, 1e-5, `rank 1 ${k}`);
  }
  // The comparison is not vacuous: training moved the weights.
  const init = torch.tidy(() => {
    torch.manualSeed(1234);
    return Array.from(new SmallNet(false).fc.weight.toTypedArray() as Float32Array);
  });
  assert.ok(init.some((w, i) => Math.abs(w - reference['fc.weight'][i]) > 1e-3));
});
