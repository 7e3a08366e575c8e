/**
 * The worked examples of docs/contributing.md (docs/examples/*.ts) type-check against the
 * package's types, load with `--import`'s loader, compute what they say, and train together:
 * a new algorithm and head, a backbone, a transform and a hook, each declared with `definePart`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../src/builtins.js';
import { importUserModules } from '../src/core/user-modules.js';
import { Rng } from '../src/data/transforms/rng.js';
import { TRANSFORMS } from '../src/data/registries.js';
import { validateConfig } from '../src/engine/config/config.js';
import type { ConfigObject } from '../src/engine/config/merge.js';
import { Runner } from '../src/engine/runner.js';
import { ALGORITHMS, BACKBONES, HEADS } from '../src/models/registries.js';
import { assertClose } from './helpers.js';
import './engine/parts.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'docs/examples');
const FILES = ['align-uniform.ts', 'conv-net.ts', 'random-invert.ts', 'loss-record-hook.ts'].map((f) => join(EXAMPLES, f));

test('the examples type-check (strict) against the published types', () => {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(EXAMPLES, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('the examples load as --import modules and register their parts', async () => {
  await importUserModules(FILES);
  assert.ok(ALGORITHMS.has('AlignUniform') && HEADS.has('AlignUniformHead'));
  assert.ok(BACKBONES.has('ConvNet') && TRANSFORMS.has('RandomInvert'));
});

test('AlignUniformHead: 0 alignment for equal views, log-mean potential −2t for orthogonal pairs', async () => {
  await importUserModules(FILES);
  const head = HEADS.build({ type: 'AlignUniformHead' }, 'head');
  torch.tidy(() => {
    // z₁ = z₂ = two orthogonal unit vectors: ‖zᵢ − zⱼ‖² = 2 for i ≠ j, so U = log exp(−2·2) = −4.
    const z = torch.tensor(
      [
        [3, 0],
        [0, 0.5],
      ],
      { dtype: 'float32' },
    );
    assertClose(head.forward(z, z), -4, 1e-6, 'loss');
    // α = 2 alignment of unit vectors at 90°: ‖a − b‖² = 2, plus the same uniformity for both.
    const a = torch.tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'float32' },
    );
    const b = torch.tensor(
      [
        [0, 1],
        [-1, 0],
      ],
      { dtype: 'float32' },
    );
    assertClose(head.forward(a, b), 2 - 4, 1e-6, 'rotated loss');
  });
});

test('RandomInvert: 255 − x where each image’s coin says, the same per image and batched', async () => {
  await importUserModules(FILES);
  const t = TRANSFORMS.build({ type: 'RandomInvert', prob: 0.5 }, 'pipeline.0');
  torch.tidy(() => {
    const g = new torch.Generator().manualSeed(0);
    const batch = torch.randint(0, 256, [8, 3, 4, 4], { generator: g }).to({ dtype: 'uint8' });
    const rngs = () => Array.from({ length: 8 }, (_, i) => Rng.forSample(7, 0, i));
    const coins = rngs().map((r) => r.random() < 0.5);
    assert.ok(coins.includes(true) && coins.includes(false), 'both outcomes appear');
    const batched = t.applyBatch?.(batch, rngs());
    assert.ok(batched);
    const r = rngs();
    for (let i = 0; i < 8; i++) {
      const img = batch.select(0, i);
      const expected = coins[i] ? img.neg().add(255) : img;
      assert.deepEqual(t.apply(img, r[i]).toTypedArray(), expected.to({ dtype: 'uint8' }).toTypedArray(), `image ${i}`);
      assert.deepEqual(batched.select(0, i).toTypedArray(), expected.to({ dtype: 'uint8' }).toTypedArray(), `batched ${i}`);
    }
  });
});

test('the examples train together: AlignUniform on a ConvNet with RandomInvert views, losses recorded by the hook', async () => {
  await importUserModules(FILES);
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-examples-'));
  const record = join(dir, 'losses.jsonl');
  const cfg = {
    model: {
      type: 'AlignUniform',
      backbone: { type: 'ConvNet', width: 4, stages: 2 },
      neck: { type: 'NonLinearNeck', inChannels: 8, hidChannels: 16, outChannels: 8, numLayers: 2, normCfg: { type: 'BN1d' } },
      head: { type: 'AlignUniformHead' },
    },
    trainDataloader: {
      batchSize: 8,
      dataset: {
        type: 'TestArray',
        n: 16,
        size: 8,
        pipeline: { type: 'MultiView', numViews: 2, transforms: [[{ type: 'RandomInvert', prob: 0.5 }]] },
      },
    },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 3 },
    customHooks: [{ type: 'LossRecordHook', file: record }],
    randomness: { seed: 0 },
  };
  const runner = new Runner(validateConfig(cfg as unknown as ConfigObject), { workDir: join(dir, 'work'), quiet: true });
  await runner.train();
  const lines = readFileSync(record, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { iter: number; loss: number });
  assert.deepEqual(
    lines.map((l) => l.iter),
    [0, 1, 2, 3, 4, 5],
  );
  assert.ok(lines.every((l) => Number.isFinite(l.loss)));
  // The uniformity term is bounded below by −4 (t = 2, unit vectors), and alignment is ≥ 0.
  assert.ok(
    lines.every((l) => l.loss >= -4 - 1e-5),
    JSON.stringify(lines),
  );
});
