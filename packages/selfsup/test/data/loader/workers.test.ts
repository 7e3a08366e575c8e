import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import sharp from 'sharp';
import { DataLoader } from '../../../src/data/loader/loader.js';
import { buildViews } from '../../../src/data/register.js';
import { MultiView } from '../../../src/data/transforms/multi-view.js';
import { DATASETS } from '../../../src/data/registries.js';
import { ArrayDataset } from '../../../src/data/datasets/array-dataset.js';
import { Subset } from '../../../src/data/datasets/subset.js';
import '../../../src/builtins.js';

const root = mkdtempSync(join(tmpdir(), 'selfsup-workers-'));

async function fixture(): Promise<void> {
  for (let i = 0; i < 14; i++) {
    const dir = join(root, 'data', `c${i % 3}`);
    mkdirSync(dir, { recursive: true });
    const px = Buffer.from(Array.from({ length: 24 * 20 * 3 }, (_, k) => (k * (i + 3) + 17 * i) % 256));
    await sharp(px, { raw: { width: 20, height: 24, channels: 3 } })
      .png()
      .toFile(join(dir, `${i}.png`));
  }
}

/**
 * Two jittered, blurred crops and one SimMIM-masked bicubic crop of `maskedSize`: every kind of step
 * the loader carries (with `more`: greyscale, solarize and a flip before the mask as well).
 */
function mixedViews(o: { maskedSize: number; more?: boolean }) {
  const more = <T>(...steps: T[]): T[] => (o.more ? steps : []);
  return {
    type: 'MultiView',
    numViews: [2, 1],
    transforms: [
      [
        { type: 'RandomResizedCrop', size: 16 },
        { type: 'RandomFlip' },
        {
          type: 'RandomApply',
          transforms: [{ type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 }],
          prob: 0.8,
        },
        ...more({ type: 'RandomGrayscale', prob: 0.2 }),
        { type: 'RandomGaussianBlur', sigmaMin: 0.1, sigmaMax: 2 },
        ...more({ type: 'RandomSolarize', prob: 0.2 }),
      ],
      [
        { type: 'RandomResizedCrop', size: o.maskedSize, interpolation: 'bicubic' },
        ...more({ type: 'RandomFlip' }),
        {
          type: 'SimMIMMaskGenerator',
          inputSize: o.maskedSize,
          maskPatchSize: o.maskedSize / 2,
          modelPatchSize: 4,
          maskRatio: 0.5,
        },
      ],
    ],
  };
}

/** Every batch of two epochs as plain numbers: indices, labels, views and masks. */
async function epochs(loader: DataLoader): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const e of [0, 1]) {
    loader.setEpoch(e);
    for await (const b of loader) {
      out.push({
        idx: b.idx.toList(),
        labels: b.labels?.toList(),
        views: b.views.map((v) => [v.shape, Array.from(v.toBytes())]),
        masks: b.masks?.map((m) => [m.shape, Array.from(m.to('uint8').toBytes())]),
      });
      b.dispose();
    }
  }
  await loader.close();
  return out;
}

test('workers: the same batches as without them, for 1 or 3 workers; views and masks; errors and skips', async () => {
  await fixture();
  const dsCfg = { type: 'ImageFolder', root: join(root, 'data') };
  const ds = DATASETS.build(dsCfg);
  const views = mixedViews({ maskedSize: 32 });
  const common = { batchSize: 5, shuffle: true, seed: 7 };
  const inThread = await epochs(new DataLoader(ds, { ...common, views: buildViews(views) }));
  assert.equal(inThread.length, 6);
  for (const count of [1, 3]) {
    const withWorkers = await epochs(new DataLoader(ds, { ...common, prefetch: 3, workers: { count, dataset: dsCfg, views } }));
    assert.deepEqual(withWorkers, inThread, `${count} worker(s)`);
  }
  assert.equal(torch.getNumThreads() > 0, true);
  // Views computed wholly in JS memory (no mask): workers send them without a libtorch copy.
  const plain = { type: 'MultiView', numViews: [2], transforms: [views.transforms[0]] };
  assert.deepEqual(
    await epochs(new DataLoader(ds, { ...common, workers: { count: 2, dataset: dsCfg, views: plain } })),
    await epochs(new DataLoader(ds, { ...common, views: buildViews(plain) })),
    'views without masks',
  );

  // An undecodable file: named in the error by default, skipped and counted with onCorrupt 'skip'.
  writeFileSync(join(root, 'data', 'c1', 'zz-broken.png'), Buffer.from('not a png'));
  const broken = DATASETS.build(dsCfg);
  const failing = new DataLoader(broken, { batchSize: 15, workers: { count: 2, dataset: dsCfg, views } });
  await assert.rejects(async () => {
    for await (const b of failing) b.dispose();
  }, /zz-broken\.png: cannot decode image/);
  await failing.close();
  const skipping = new DataLoader(broken, { batchSize: 15, onCorrupt: 'skip', workers: { count: 2, dataset: dsCfg, views } });
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    for await (const b of skipping) {
      assert.equal(b.views[0].shape[0], 14);
      b.dispose();
    }
  } finally {
    console.warn = warn;
  }
  assert.equal(skipping.stats.skipped.length, 1);
  await skipping.close();
  // The workers must see the loader's dataset.
  const other = new DataLoader(ds, { batchSize: 4, workers: { count: 1, dataset: { ...dsCfg, numSamples: 3 }, views } });
  await assert.rejects(async () => {
    for await (const b of other) b.dispose();
  }, /workers' dataset has 3 samples but the loader's 14/);
  assert.throws(
    () => new DataLoader(ds, { batchSize: 4, views: buildViews(views), workers: { count: 1, dataset: dsCfg, views } }),
    /give the views as workers\.views/,
  );
});

/** The scheduling policy of every thread of this process (field 41 of /proc/self/task/TID/stat). */
function threadPolicies(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised command name; policy is field 41 (the 39th after it).
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  });
}

const SCHED_IDLE = 5;

test('workers with priority idle run in SCHED_IDLE; the default leaves every thread in the normal class', {
  skip: process.platform !== 'linux',
}, async () => {
  // Images of its own: the first test adds an undecodable one to the shared fixture.
  const dir = join(mkdtempSync(join(tmpdir(), 'selfsup-idle-')), 'c0');
  mkdirSync(dir);
  for (let i = 0; i < 8; i++)
    await sharp(Buffer.alloc(8 * 8 * 3, i * 30), { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toFile(join(dir, `${i}.png`));
  const dsCfg = { type: 'ImageFolder', root: dirname(dir) };
  const ds = DATASETS.build(dsCfg);
  const views = { type: 'MultiView', numViews: 1, transforms: [[{ type: 'Resize', size: 8 }]] };
  const countIdle = async (priority?: 'idle' | 'normal') => {
    const loader = new DataLoader(ds, {
      batchSize: 4,
      workers: { count: 2, dataset: dsCfg, views, ...(priority ? { priority } : {}) },
    });
    let idle = -1;
    for await (const b of loader) {
      // The workers are up and have served a batch: their threads exist now.
      if (idle < 0) idle = threadPolicies().filter((p) => p === SCHED_IDLE).length;
      b.dispose();
    }
    await loader.close();
    return idle;
  };
  assert.equal(await countIdle('idle'), 2);
  assert.equal(await countIdle('normal'), 0);
  assert.equal(await countIdle(), 0);
  // The training thread itself never leaves the normal class.
  assert.equal(threadPolicies()[0], 0);
});

test('in-memory datasets (ArrayDataset, a Subset of one) reach workers as their shared block, not rebuilt or copied', async () => {
  const n = 12;
  const px = Uint8Array.from({ length: n * 6 * 6 * 3 }, (_, k) => (k * 7) % 251);
  const arrays = new ArrayDataset(
    'Mem',
    px,
    { height: 6, width: 6, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 3),
  );
  const views = { type: 'MultiView', numViews: 1, transforms: [[{ type: 'RandomFlip' }]] };
  // A config that cannot be built: the workers must not need it.
  const unbuildable = { type: 'CIFAR10', root: join(root, 'no-such-dir') };
  for (const ds of [arrays, new Subset(arrays, [11, 3, 5, 0, 7, 2, 9, 1])]) {
    const common = { batchSize: 4, shuffle: true, seed: 2 };
    const loader = new DataLoader(ds, { ...common, workers: { count: 2, dataset: unbuildable, views } });
    assert.deepEqual(await epochs(loader), await epochs(new DataLoader(ds, { ...common, views: buildViews(views) })));
  }
  // Shared memory: a change made on this thread after the workers started is what they read next.
  const loader = new DataLoader(arrays, {
    batchSize: n,
    workers: { count: 1, dataset: unbuildable, views: { ...views, transforms: [[]] } },
  });
  const first = async () => {
    for await (const b of loader) {
      const bytes = Array.from(b.views[0].toBytes().subarray(0, 4));
      b.dispose();
      return bytes;
    }
    return [];
  };
  // The view is (C, H, W): its first bytes are the red values of the first pixels.
  assert.deepEqual(await first(), [px[0], px[3], px[6], px[9]]);
  arrays.images.fill(9, 0, 6 * 6 * 3);
  assert.deepEqual(await first(), [9, 9, 9, 9]);
  await loader.close();
});

test('deviceAugment: only the crops come from the workers (or this thread), the rest runs on the device: the same batches', async () => {
  const n = 14;
  const g = new torch.Generator().manualSeed(12);
  const px = torch.tidy(() => torch.randint(0, 256, [n * 24 * 20 * 3], { generator: g, dtype: 'uint8' }).toBytes());
  const ds = new ArrayDataset('Mem', px, { height: 24, width: 20, channels: 3 }, null);
  const views = mixedViews({ maskedSize: 16, more: true });
  const common = { batchSize: 5, shuffle: true, seed: 4 };
  const want = await epochs(new DataLoader(ds, { ...common, views: buildViews(views) }));
  // Where the rest runs: this machine's GPU when there is one, else the CPU (the same code path).
  const device = torch.cuda.isAvailable() ? 'cuda:0' : 'cpu';
  // Every batch is finished here, on the device, from the crops (counted on this thread).
  const finish = MultiView.prototype.finishDeferred;
  let finished = 0;
  MultiView.prototype.finishDeferred = function (...args) {
    finished++;
    return finish.apply(this, args);
  };
  for (const workers of [0, 2]) {
    finished = 0;
    const loader = new DataLoader(ds, {
      ...common,
      deviceAugment: { device, pin: true },
      ...(workers > 0 ? { workers: { count: workers, dataset: 'unused: in memory', views } } : { views: buildViews(views) }),
    });
    loader.setEpoch(0);
    for await (const b of loader) {
      for (const v of b.views) assert.equal(v.device, device);
      b.dispose();
      break;
    }
    const got = (await epochs(loader)) as { views: [number[], number[]][] }[];
    assert.equal(finished, 1 + got.length, `${workers} worker(s): batches finished on this thread`);
    if (device === 'cpu') assert.deepEqual(got, want, `${workers} worker(s)`);
    else {
      // A GPU's float reductions and convolutions may round a pixel the other way: within one grey
      // level, and rarely.
      const w = want as { views: [number[], number[]][] }[];
      assert.equal(got.length, w.length);
      let differ = 0;
      let total = 0;
      for (const [i, b] of got.entries())
        for (const [v, [shape, bytes]] of b.views.entries()) {
          assert.deepEqual(shape, w[i].views[v][0]);
          for (const [k, x] of bytes.entries()) {
            const d = Math.abs(x - w[i].views[v][1][k]);
            assert.ok(d <= 1, `batch ${i} view ${v} byte ${k}: ${x} vs ${w[i].views[v][1][k]}`);
            differ += d;
            total++;
          }
        }
      assert.ok(differ / total < 0.02, `${differ} of ${total} bytes off by one`);
      assert.deepEqual(
        got.map((b) => (b as { masks?: unknown }).masks),
        w.map((b) => (b as { masks?: unknown }).masks),
      );
    }
  }
  MultiView.prototype.finishDeferred = finish;
  // Another per-image step before the batched ones: refused when the loader is made.
  const rotated = {
    ...views,
    numViews: 1,
    transforms: [[views.transforms[0][0], { type: 'RandomRotation', degrees: 5, expand: true }]],
  };
  assert.throws(
    () => new DataLoader(ds, { ...common, deviceAugment: { device: 'cpu' }, views: buildViews(rotated) }),
    /deviceAugment: pipeline 0's per-image steps are RandomResizedCrop, RandomRotation/,
  );
  assert.throws(
    () =>
      new DataLoader(ds, { ...common, deviceAugment: { device: 'cpu' }, workers: { count: 1, dataset: 'x', views: rotated } }),
    /deviceAugment: pipeline 0's per-image steps/,
  );
});
