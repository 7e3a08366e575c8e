import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/builtins.js';
import { validateConfig } from '../../src/engine/config/config.js';
import type { ConfigObject } from '../../src/engine/config/merge.js';
import { Runner } from '../../src/engine/runner.js';
import { testConfig } from './parts.js';

function runner(autoScaleLr?: { enable?: boolean; baseBatchSize: number }): Runner {
  const base = testConfig({ batch: 4 });
  const cfg = {
    ...base,
    // Two groups with different lrs: scaling multiplies each, after the paramwise multipliers.
    optimWrapper: { ...base.optimWrapper, paramwiseCfg: { customKeys: { bias: { lrMult: 0.5 } } } },
    ...(autoScaleLr ? { autoScaleLr } : {}),
  };
  return new Runner(validateConfig(cfg as unknown as ConfigObject), {
    workDir: mkdtempSync(join(tmpdir(), 'selfsup-autoscale-')),
    quiet: true,
  });
}

const lrs = (r: Runner) => r.optimWrapper.paramGroups.map((_, i) => r.optimWrapper.getHyper(i, 'lr'));
const initial = (r: Runner) => r.optimWrapper.paramGroups.map((g) => g.initial.lr);

test('autoScaleLr (MMEngine scale_lr): every group × (world × batch) / baseBatchSize, before the schedulers record lr', () => {
  const plain = runner();
  // Anchor the unscaled values by hand: lr 0.05, ×0.5 for biases, LinearLR's start factor 0.1 at step 0.
  assert.ok(plain.optimWrapper.paramGroups.length >= 2);
  const byMult = [...new Set(initial(plain))].sort();
  assert.deepEqual(byMult, [0.025, 0.05]);
  for (const [i, lr] of lrs(plain).entries()) assert.ok(Math.abs(lr - 0.1 * initial(plain)[i]) < 1e-12);
  // One process × batch 4 against a base of 16: ratio 1/4, on the lr now and on the schedulers' initial lr.
  const scaled = runner({ enable: true, baseBatchSize: 16 });
  for (const [i, lr] of lrs(scaled).entries()) assert.ok(Math.abs(lr - lrs(plain)[i] / 4) < 1e-12, `group ${i}`);
  for (const [i, lr] of initial(scaled).entries()) assert.ok(Math.abs(lr - initial(plain)[i] / 4) < 1e-12, `group ${i}`);
  assert.ok(Math.abs((scaled.optimWrapper.optimizer.defaults as { lr: number }).lr - 0.05 / 4) < 1e-12);
  // Off unless enabled (MMSelfSup's configs carry only the base batch size).
  assert.deepEqual(lrs(runner({ baseBatchSize: 16 })), lrs(plain));
  assert.deepEqual(lrs(runner({ enable: false, baseBatchSize: 16 })), lrs(plain));
  // A base equal to the real batch leaves lr as it is.
  assert.deepEqual(lrs(runner({ enable: true, baseBatchSize: 4 })), lrs(plain));
});

test('autoScaleLr: the schema needs a positive baseBatchSize', () => {
  const cfg = { ...testConfig(), autoScaleLr: { enable: true } } as unknown as ConfigObject;
  assert.throws(() => validateConfig(cfg), /autoScaleLr\.baseBatchSize/);
  const zero = { ...testConfig(), autoScaleLr: { baseBatchSize: 0 } } as unknown as ConfigObject;
  assert.throws(() => validateConfig(zero), /autoScaleLr\.baseBatchSize: expected a positive integer/);
});
