import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ArrayDataset } from '../../../src/data/datasets/array-dataset.js';
import { ImageFolder } from '../../../src/data/datasets/image-folder.js';
import { type Batch, DataLoader } from '../../../src/data/loader/loader.js';
import { ClassAwareSampler, DistributedSampler, RandomSampler } from '../../../src/data/loader/samplers.js';
import { buildViews } from '../../../src/data/register.js';
import { simclrViews } from '../../../src/engine/config/recipes.js';
import '../../../src/builtins.js';
import { py } from '../../helpers.js';

function dataset(n: number): ArrayDataset {
  const px = new Uint8Array(n * 16 * 16 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7919 + (i >> 5)) % 256;
  return new ArrayDataset(
    'toy',
    px,
    { height: 16, width: 16, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 4),
    ['a', 'b', 'c', 'd'],
  );
}

async function collect(loader: DataLoader): Promise<{ idx: number[][]; views: number[][] }> {
  const idx: number[][] = [];
  const views: number[][] = [];
  for await (const b of loader) {
    idx.push(b.idx.toList() as number[]);
    views.push(torch.tidy(() => b.views.map((v) => v.float().sum().item())));
    b.dispose();
  }
  return { idx, views };
}

test('same seed → same batches, whatever the prefetch depth and decode concurrency', async () => {
  const ds = dataset(23);
  const views = buildViews(simclrViews({ size: 12 }));
  const a = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3, views, prefetch: 1, decodeConcurrency: 1 });
  const b = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3, views, prefetch: 4, decodeConcurrency: 8 });
  const live = torch.memory().liveTensors;
  const ra = await collect(a);
  assert.equal(torch.memory().liveTensors, live, 'a disposed epoch leaves no tensors behind');
  assert.deepEqual(ra, await collect(b));
  assert.equal(ra.idx.length, 5);
  assert.deepEqual(
    [...ra.idx.flat()].sort((x, y) => x - y),
    Array.from({ length: 23 }, (_, i) => i),
  );
  a.setEpoch(1);
  const next = await collect(a);
  assert.notDeepEqual(next.idx, ra.idx, 'a new epoch reshuffles');
  assert.notDeepEqual(next.views, ra.views, 'a new epoch re-augments');
});

test('batch contents: views (N, C, H, W) uint8, labels and indices; dropLast; stats', async () => {
  const ds = dataset(10);
  const loader = new DataLoader(ds, { batchSize: 4, dropLast: true, views: buildViews(simclrViews({ size: 8 })) });
  assert.equal(loader.length, 2);
  let n = 0;
  for await (const b of loader as AsyncIterable<Batch>) {
    assert.deepEqual(
      b.views.map((v) => v.shape),
      [
        [4, 3, 8, 8],
        [4, 3, 8, 8],
      ],
    );
    assert.equal(b.views[0].dtype, 'uint8');
    assert.deepEqual(
      b.labels?.toList(),
      (b.idx.toList() as number[]).map((i) => i % 4),
    );
    b.dispose();
    n++;
  }
  assert.equal(n, 2);
  assert.equal(loader.stats.images, 8);
  assert.ok(loader.stats.imagesPerSec > 0);
  // No augmentation: the raw image comes through.
  const raw = new DataLoader(ds, { batchSize: 3 });
  const first = (await raw[Symbol.asyncIterator]().next()).value as Batch;
  assert.deepEqual(first.views[0].index(1).permute(1, 2, 0).flatten().toList(), Array.from(ds.image(1).data));
  first.dispose();
});

test('samplers follow PyTorch: RandomSampler and DistributedSampler orders equal torch.utils.data', () => {
  const ref = py<{ perm: number[]; dist: number[][]; distDrop: number[][] }>(`from torch.utils.data import DistributedSampler
g = torch.Generator(); g.manual_seed(5 + 2)
perm = torch.randperm(11, generator=g).tolist()
def ranks(drop):
    out = []
    for r in range(3):
        s = DistributedSampler(list(range(11)), num_replicas=3, rank=r, shuffle=True, seed=5, drop_last=drop); s.set_epoch(2); out.append(list(s))
    return out
OUT = {'perm': perm, 'dist': ranks(False), 'distDrop': ranks(True)}`);
  assert.deepEqual(new RandomSampler(11, 5).indices(2), ref.perm);
  for (const [drop, key] of [
    [false, 'dist'],
    [true, 'distDrop'],
  ] as const) {
    for (let r = 0; r < 3; r++) {
      assert.deepEqual(
        new DistributedSampler(11, { rank: r, worldSize: 3, seed: 5, dropLast: drop }).indices(2),
        ref[key][r],
        `rank ${r} dropLast ${drop}`,
      );
    }
  }
  const ca = new ClassAwareSampler(Int32Array.from({ length: 400 }, (_, i) => (i < 370 ? 0 : 1 + (i % 3))));
  const counts = new Map<number, number>();
  const labels = (i: number) => (i < 370 ? 0 : 1 + (i % 3));
  for (const i of ca.indices(0)) counts.set(labels(i), (counts.get(labels(i)) ?? 0) + 1);
  assert.deepEqual(
    [...counts.values()].map((c) => Math.round(c / 100)),
    [1, 1, 1, 1],
    'each class drawn equally often despite 370:10:10:10',
  );
});

test('corrupt images: an error naming the file by default, skipped and counted with onCorrupt: skip', async () => {
  const root = mkdtempSync(join(tmpdir(), 'selfsup-loader-'));
  mkdirSync(join(root, 'x'));
  py(
    `from PIL import Image
import numpy as np
for i in range(4): Image.fromarray(np.full((8, 8, 3), i * 40, np.uint8)).save(f"{D['root']}/x/{i}.png")
OUT = 0`,
    { root },
  );
  writeFileSync(join(root, 'x', '2.png'), 'garbage');
  const ds = await ImageFolder.open(join(root, 'x'));
  await assert.rejects(collect(new DataLoader(ds, { batchSize: 2 })), /2\.png: cannot decode image/);
  const loader = new DataLoader(ds, { batchSize: 2, onCorrupt: 'skip' });
  const warn = console.warn;
  console.warn = () => {};
  try {
    const r = await collect(loader);
    assert.deepEqual(r.idx, [[0, 1], [3]]);
  } finally {
    console.warn = warn;
  }
  assert.equal(loader.stats.skipped.length, 1);
  assert.match(loader.stats.skipped[0].error, /2\.png/);
});
