/**
 * Registries and part definitions: a part is declared once (schema → options type → builder),
 * registries are typed by kind, a config is checked against the part's schema before building,
 * and every misspelt option of a bundled config is a ConfigError naming its path.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { BUILTIN_PARTS } from '../../src/builtins.js';
import { CONFIG_DIR } from '../../src/cli/list.js';
import { definePart, Registry, registerParts } from '../../src/core/registry.js';
import { ConfigError, posInt, z } from '../../src/core/schema.js';
import { DATASETS, PIPELINE_STEPS, TRANSFORMS } from '../../src/data/registries.js';
import { prepareConfig } from '../../src/engine/config/prepare.js';
import { buildOptimWrapper } from '../../src/engine/optim-builder.js';
import { HOOKS, OPTIMIZERS, PARAM_SCHEDULERS } from '../../src/engine/registries.js';
import { ALGORITHMS, BACKBONES, HEADS, LOSSES, NECKS, TARGET_GENERATORS } from '../../src/models/registries.js';

/** The ConfigError `f` throws. */
function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('a part is built from checked options (defaults applied) and registered once', () => {
  const reg = new Registry<{ size: number }>('widgets');
  const schema = z.strictObject({ size: posInt().default(3) });
  const part = definePart({
    registry: reg,
    name: 'Widget',
    schema,
    description: 'a test part',
    build: (o) => ({ size: o.size }),
  });
  reg.register(part);
  reg.register(part); // the same declaration again: nothing changes
  assert.deepEqual(reg.list(), ['Widget']);
  assert.deepEqual(reg.build({ type: 'Widget' }), { size: 3 });
  assert.deepEqual(reg.build({ type: 'Widget', size: 5 }), { size: 5 });
  const clash = definePart({ registry: reg, name: 'Widget', schema, description: 'another', build: () => ({ size: 0 }) });
  assert.throws(() => reg.register(clash), /widgets registry: 'Widget' is already registered/);
  const other = new Registry<{ size: number }>('gadgets');
  assert.throws(() => other.register(part), /gadgets registry: 'Widget' belongs to widgets/);
  assert.equal(
    configError(() => reg.build({ type: 'Widget', sise: 2 }, 'cfg.w')).message,
    "cfg.w.sise: unknown key; did you mean 'size'?",
  );
  assert.match(
    configError(() => reg.build({ type: 'Widget', size: 0 }, 'cfg.w')).message,
    /^cfg\.w\.size: expected a positive integer, got 0/,
  );
  assert.match(
    configError(() => reg.build({ type: 'Wiget' }, 'cfg.w')).message,
    /^cfg\.w\.type: unknown widgets type 'Wiget'; did you mean 'Widget'/,
  );
});

test('buildAs checks the class an algorithm needs', () => {
  class Small {
    constructor(readonly n: number) {}
  }
  class Big extends Small {}
  const reg = new Registry<Small>('things');
  registerParts([
    definePart({ registry: reg, name: 'Small', schema: z.strictObject({}), description: 's', build: () => new Small(1) }),
    definePart({ registry: reg, name: 'Big', schema: z.strictObject({}), description: 'b', build: () => new Big(2) }),
  ]);
  assert.ok(reg.buildAs({ type: 'Big' }, 'p', Big, 'Test') instanceof Big);
  assert.equal(
    configError(() => reg.buildAs({ type: 'Small' }, 'model.head', Big, 'SimCLR')).message,
    "model.head.type: SimCLR needs a Big (or a subclass), got 'Small'",
  );
});

test('the manifest fills every registry, and each part sits in its own registry', () => {
  const registries = [
    ALGORITHMS,
    BACKBONES,
    NECKS,
    HEADS,
    LOSSES,
    TARGET_GENERATORS,
    DATASETS,
    TRANSFORMS,
    PIPELINE_STEPS,
    HOOKS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
  ];
  const counted = registries.reduce((n, r) => n + r.list().length, 0);
  assert.equal(counted, BUILTIN_PARTS.length, 'every part of the manifest is registered, nothing else');
  for (const p of BUILTIN_PARTS) assert.equal(p.registry.get(p.name), p, `${p.registry.scope}: ${p.name}`);
  assert.deepEqual(OPTIMIZERS.list(), ['Adam', 'AdamW', 'LAMB', 'LARS', 'SGD']);
  assert.deepEqual(PARAM_SCHEDULERS.list(), [
    'CosineAnnealingLR',
    'CosineAnnealingWeightDecay',
    'ExponentialLR',
    'LinearLR',
    'MultiStepLR',
    'OneCycleLR',
    'PolyLR',
    'StepLR',
  ]);
  assert.ok(ALGORITHMS.list().length >= 10 && HOOKS.has('DenseCLHook') && DATASETS.has('CIFAR10'));
});

test('a misspelt option anywhere in a bundled config is a ConfigError naming its path, with a suggestion', () => {
  const file = join(CONFIG_DIR, 'simclr/simclr_resnet18-w025_1xb256-coslr-100e_cifar10.ts');
  const cases: [string, RegExp, (cfg: ReturnType<typeof prepareConfig>) => unknown][] = [
    [
      'optimWrapper.optimizer.lrr=0.1',
      /^optimWrapper\.optimizer\.lrr: unknown key; did you mean 'lr'\?/,
      (cfg) => torch.tidy(() => buildOptimWrapper(cfg.optimWrapper, new torch.nn.Linear(2, 2))),
    ],
    [
      'optimWrapper.optimizer.momentun=0.9',
      /^optimWrapper\.optimizer\.momentun: unknown key; did you mean 'momentum'\?/,
      (cfg) => torch.tidy(() => buildOptimWrapper(cfg.optimWrapper, new torch.nn.Linear(2, 2))),
    ],
    [
      'model.backbone.dept=18',
      /^model\.backbone\.dept: unknown key; did you mean 'depth'\?/,
      (cfg) => ALGORITHMS.build(cfg.model, 'model'),
    ],
    [
      'model.neck.hidChanels=8',
      /^model\.neck\.hidChanels: unknown key; did you mean 'hidChannels'\?/,
      (cfg) => ALGORITHMS.build(cfg.model, 'model'),
    ],
    [
      'paramScheduler.1.ends=5',
      /^paramScheduler\.1\.ends: unknown key; did you mean 'end'\?/,
      (cfg) => PARAM_SCHEDULERS.build(cfg.paramScheduler?.[1], 'paramScheduler.1'),
    ],
    [
      'trainDataloader.dataset.pipeline.transforms.0.0.scal=[0.2,1]',
      /^trainDataloader\.dataset\.pipeline\.transforms\.0\.0\.scal: unknown key; did you mean 'scale'\?/,
      (cfg) => {
        const pipeline = cfg.trainDataloader.dataset.pipeline as { transforms: unknown[][] };
        return TRANSFORMS.build(pipeline.transforms[0][0], 'trainDataloader.dataset.pipeline.transforms.0.0');
      },
    ],
  ];
  for (const [option, expected, build] of cases) {
    const cfg = prepareConfig(file, [option]);
    assert.match(configError(() => build(cfg)).message, expected, option);
  }
  // Without the misspellings every part builds.
  const cfg = prepareConfig(file);
  torch.tidy(() => {
    const model = ALGORITHMS.build(cfg.model, 'model');
    buildOptimWrapper(cfg.optimWrapper, model);
    model.dispose();
  });
});
