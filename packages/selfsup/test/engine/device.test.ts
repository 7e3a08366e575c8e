import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { nn } from '@selfsup/torch';
import { loadCheckpoint } from '../../src/engine/checkpoint.js';
import { validateConfig } from '../../src/engine/config/config.js';
import type { ConfigObject } from '../../src/engine/config/merge.js';
import { batchToDevice, resolveDevice } from '../../src/engine/device.js';
import { buildOptimWrapper } from '../../src/engine/optim-builder.js';
import { Runner } from '../../src/engine/runner.js';
import { importUserModules } from '../../src/core/user-modules.js';
import { losses, testConfig } from './parts.js';
import '../../src/builtins.js';

const hasCuda = torch.cuda.isAvailable();
const noCuda = hasCuda ? false : 'no CUDA device (CPU libtorch or no GPU visible)';
const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-device-'));

async function train(cfg: object, opts: { device?: string; resume?: string } = {}) {
  losses.length = 0;
  const runner = new Runner(validateConfig(cfg as ConfigObject), { workDir: tmp(), quiet: true, ...opts });
  const result = await runner.train();
  return { runner, result, losses: [...losses] };
}

test('resolveDevice: cpu, auto, cuda[:N], and errors that say how to get a GPU build', () => {
  assert.equal(resolveDevice('cpu'), 'cpu');
  const count = hasCuda ? torch.cuda.deviceCount() : 0;
  assert.equal(resolveDevice(undefined, 3), count ? `cuda:${3 % count}` : 'cpu');
  assert.equal(resolveDevice('auto'), count ? 'cuda:0' : 'cpu');
  assert.throws(() => resolveDevice('gpu', 0, '--device'), /--device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'/);
  if (count) {
    assert.equal(resolveDevice('cuda', 1), `cuda:${1 % count}`);
    assert.throws(() => resolveDevice(`cuda:${count}`), new RegExp(`only ${count} GPU`));
  } else {
    assert.throws(() => resolveDevice('cuda'), /device: 'cuda' asked for a GPU.*LIBTORCH=/s);
    assert.throws(() => resolveDevice('cuda:1', 0, '--device'), /--device: 'cuda:1' asked for a GPU/);
  }
});

test("a config's device is checked, and batchToDevice leaves CPU batches as they are", () => {
  const cfg = testConfig() as unknown as ConfigObject;
  assert.throws(() => validateConfig({ ...cfg, device: 'gpu0' }), /device/);
  assert.equal(validateConfig({ ...cfg, device: 'cuda:1' }).device, 'cuda:1');
  const views = [torch.zeros([2, 3, 4, 4], { dtype: 'uint8' })];
  const idx = torch.tensor([0, 1], { dtype: 'int64' });
  const b = { views, idx, labels: null };
  const moved = batchToDevice(b, 'cpu');
  assert.equal(moved.views[0], views[0]);
  assert.equal(moved.idx, idx);
});

test('AmpOptimWrapper: bfloat16 autocast on the CPU only when asked, float16 refused there, static and dynamic loss scales', () => {
  const model = new nn.Linear(4, 2);
  const sgd = { type: 'SGD', lr: 0.1 };
  const plain = buildOptimWrapper({ type: 'AmpOptimWrapper', optimizer: sgd }, model);
  assert.equal(plain.autocast, null);
  assert.equal(plain.gradScaler, null);
  const bf16 = buildOptimWrapper({ type: 'AmpOptimWrapper', optimizer: sgd, dtype: 'bfloat16' }, model);
  assert.deepEqual(bf16.autocast, { deviceType: 'cpu', dtype: 'bfloat16' });
  assert.equal(bf16.gradScaler, null, 'bfloat16 needs no loss scaling');
  const x = torch.ones([3, 4]);
  assert.equal(bf16.optimContext(() => model.forward(x)).dtype, 'bfloat16');
  assert.equal(plain.optimContext(() => model.forward(x)).dtype, 'float32');
  const fixed = buildOptimWrapper({ type: 'AmpOptimWrapper', optimizer: sgd, dtype: 'bfloat16', lossScale: 512 }, model);
  assert.equal(fixed.gradScaler?.getScale(), 512);
  assert.throws(
    () => buildOptimWrapper({ type: 'AmpOptimWrapper', optimizer: sgd, dtype: 'float16' }, model),
    /optimWrapper\.dtype.*float16.*GPU/,
  );
  assert.throws(() => buildOptimWrapper({ optimizer: sgd, dtype: 'bfloat16' }, model), /optimWrapper\.dtype.*AmpOptimWrapper/);
});

test('training under AmpOptimWrapper bfloat16 on the CPU autocasts the forward: losses near, not equal to, float32', async () => {
  const base = testConfig({ epochs: 1, n: 8, batch: 4 });
  const fp32 = await train({ ...base, device: 'cpu' });
  const amp = await train({
    ...base,
    device: 'cpu',
    optimWrapper: { ...base.optimWrapper, type: 'AmpOptimWrapper', dtype: 'bfloat16' },
  });
  assert.equal(fp32.losses.length, 2);
  assert.equal(amp.losses.length, 2);
  // bfloat16 keeps 8 bits of mantissa: the same step differs by rounding, ~1e-3 relative.
  assert.notEqual(amp.losses[0], fp32.losses[0]);
  assert.ok(Math.abs(amp.losses[0] - fp32.losses[0]) < 2e-2 * Math.abs(fp32.losses[0]), `${amp.losses[0]} vs ${fp32.losses[0]}`);
});

test("training on cuda: parameters and optimizer state on the GPU, the CPU run's losses, a checkpoint that resumes on the CPU", {
  skip: noCuda,
}, async () => {
  const cfg = { ...testConfig({ epochs: 2, n: 8, batch: 4 }), model: { type: 'TestAlgo', size: 8, dropout: 0 } };
  const cpu = await train(cfg, { device: 'cpu' });
  const gpu = await train(cfg, { device: 'cuda' });
  assert.equal(gpu.runner.device, 'cuda:0');
  for (const p of gpu.runner.model.parameters()) assert.equal(p.device, 'cuda:0');
  for (let i = 0; i < cpu.losses.length; i++)
    assert.ok(Math.abs(gpu.losses[i] - cpu.losses[i]) < 1e-4 * (1 + Math.abs(cpu.losses[i])), `iteration ${i}`);
  const ckpt = gpu.result.checkpoint as string;
  const { state } = loadCheckpoint(ckpt);
  const sd = state.state_dict as Record<string, torch.Tensor>;
  for (const v of Object.values(sd)) assert.equal(v.device, 'cpu');
  const resumed = await train(
    { ...cfg, trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 3 } },
    { device: 'cpu', resume: ckpt },
  );
  assert.equal(resumed.runner.device, 'cpu');
  assert.equal(resumed.result.iters, 6);
});

test('AmpOptimWrapper on cuda: float16 autocast with a dynamic loss scaler', { skip: noCuda }, () => {
  const model = new nn.Linear(4, 2).to('cuda');
  const ow = buildOptimWrapper({ type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.1 } }, model);
  assert.deepEqual(ow.autocast, { deviceType: 'cuda', dtype: 'float16' });
  assert.equal(ow.gradScaler?.getScale(), 65536);
  assert.equal(ow.optimContext(() => model.forward(torch.ones([3, 4]).to('cuda'))).dtype, 'float16');
});

test('augmentOnDevice: the crops from the loader, the rest on the training device: the same losses; other pipelines refused', async () => {
  const withPipeline = (o: { augmentOnDevice?: boolean; numWorkers?: number; pipeline?: object[] }) => {
    const cfg = { ...testConfig({ epochs: 1 }), model: { type: 'TestAlgo', size: 8, dropout: 0 } };
    return {
      ...cfg,
      trainDataloader: {
        ...cfg.trainDataloader,
        ...(o.augmentOnDevice ? { augmentOnDevice: true } : {}),
        numWorkers: o.numWorkers ?? 0,
        dataset: {
          ...cfg.trainDataloader.dataset,
          pipeline: o.pipeline ?? [
            { type: 'RandomResizedCrop', size: 8 },
            { type: 'RandomFlip' },
            { type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
            { type: 'RandomGrayscale', prob: 0.5 },
          ],
        },
      },
    };
  };
  await importUserModules([fileURLToPath(new URL('./parts.js', import.meta.url))]);
  const plain = await train(withPipeline({}));
  for (const numWorkers of [0, 1]) {
    const onDevice = await train(withPipeline({ augmentOnDevice: true, numWorkers }));
    assert.ok(onDevice.runner.loader.o.deviceAugment, `${numWorkers} worker(s)`);
    assert.equal(onDevice.losses.length, 4);
    assert.deepEqual(onDevice.losses, plain.losses, `${numWorkers} worker(s)`);
  }
  // An augmentation is what differs: without it the losses would not match.
  const noJitter = await train(withPipeline({ pipeline: [{ type: 'RandomResizedCrop', size: 8 }, { type: 'RandomFlip' }] }));
  assert.notDeepEqual(noJitter.losses, plain.losses);
  assert.throws(
    () =>
      new Runner(
        validateConfig(
          withPipeline({
            augmentOnDevice: true,
            pipeline: [
              { type: 'RandomResizedCrop', size: 8 },
              { type: 'RandomRotation', degrees: 5, expand: true },
            ],
          }) as unknown as ConfigObject,
        ),
        { workDir: tmp(), quiet: true },
      ),
    /trainDataloader\.augmentOnDevice: pipeline 0's per-image steps are RandomResizedCrop, RandomRotation/,
  );
});
