import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../../src/engine/config/config.js';
import { loadConfig } from '../../../src/engine/config/load.js';
import { type ConfigObject, mergeConfig, replace } from '../../../src/engine/config/merge.js';
import { applyCfgOptions, parseOptionValue } from '../../../src/engine/config/options.js';
import { ConfigError, posInt, validate, z } from '../../../src/core/schema.js';
import { nn } from '@selfsup/torch';
import { definePart, Registry } from '../../../src/core/registry.js';
import { buildOptimWrapper } from '../../../src/engine/optim-builder.js';
import '../../../src/builtins.js';

test('merge: objects merge key by key, lists and scalars replace, _delete_ replaces a sub-tree', () => {
  const base = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: 2 };
  assert.deepEqual(mergeConfig(base, { a: { b: 3, c: [9] }, g: true }), {
    a: { b: 3, c: [9], d: { e: 'x' } },
    f: 2,
    g: true,
  });
  assert.deepEqual(mergeConfig(base, { a: replace({ z: 1 }) }), { a: { z: 1 }, f: 2 });
  // Inputs untouched.
  assert.deepEqual(base, { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: 2 });
});

test('--cfg-options: typed values and dotted paths through lists', () => {
  assert.equal(parseOptionValue('3'), 3);
  assert.equal(parseOptionValue('-1e-3'), -0.001);
  assert.equal(parseOptionValue('true'), true);
  assert.equal(parseOptionValue('None'), null);
  assert.deepEqual(parseOptionValue('[0.2,1]'), [0.2, 1]);
  assert.deepEqual(parseOptionValue('0.2,1'), [0.2, 1]);
  assert.deepEqual(parseOptionValue('[a,b]'), ['a', 'b']);
  assert.deepEqual(parseOptionValue('{"x": 1}'), { x: 1 });
  assert.equal(parseOptionValue('SGD'), 'SGD');
  assert.equal(parseOptionValue('"12"'), '12');
  const cfg: ConfigObject = { optim: { lr: 0.1 }, sched: [{ type: 'A', end: 10 }, { type: 'B' }] };
  const out = applyCfgOptions(cfg, ['optim.lr=0.3', 'sched.1.etaMin=0', 'new.key=abc']);
  assert.deepEqual(out, {
    optim: { lr: 0.3 },
    sched: [
      { type: 'A', end: 10 },
      { type: 'B', etaMin: 0 },
    ],
    new: { key: 'abc' },
  });
  assert.deepEqual(cfg.optim, { lr: 0.1 });
  assert.throws(() => applyCfgOptions(cfg, ['sched.5.x=1']), /sched\.5: --cfg-options: no item 5 in a list of 2/);
  assert.throws(() => applyCfgOptions(cfg, ['optim.lr.x=1']), /optim\.lr\.x: --cfg-options: cannot set a key inside 0\.1/);
  assert.throws(() => applyCfgOptions(cfg, ['noequals']), /expected key=value/);
});

test("--cfg-options: a JSON object merges (MMEngine), `_delete_` replaces, a type switch drops the old part's options", () => {
  const pipeline = [{ type: 'RandomFlip', prob: 0.5 }];
  const cfg: ConfigObject = {
    trainDataloader: { batchSize: 8, dataset: { type: 'CIFAR10', root: 'data/cifar10', split: 'train', pipeline } },
    optim: { type: 'SGD', lr: 0.1, momentum: 0.9 },
  };
  // A JSON object merges key by key into the object already there.
  assert.deepEqual(applyCfgOptions(cfg, ['optim={"lr": 0.5}']).optim, { type: 'SGD', lr: 0.5, momentum: 0.9 });
  // `_delete_: true` replaces it, and the marker does not survive into the config.
  assert.deepEqual(applyCfgOptions(cfg, ['optim={"_delete_": true, "type": "AdamW", "lr": 0.001}']).optim, {
    type: 'AdamW',
    lr: 0.001,
  });
  // Switching the dataset type: CIFAR10's `split` goes (ImageFolder has none), the shared `root` and
  // the dataset's `pipeline` (not a CIFAR10 option) stay; the result validates.
  const switched = applyCfgOptions(cfg, ['trainDataloader.dataset.type=ImageFolder', 'trainDataloader.dataset.root=/imgs']);
  assert.deepEqual((switched.trainDataloader as ConfigObject).dataset, { type: 'ImageFolder', root: '/imgs', pipeline });
  // The same switch as one JSON object.
  const json = applyCfgOptions(cfg, ['trainDataloader.dataset={"type": "ImageFolder", "root": "/imgs"}']);
  assert.deepEqual((json.trainDataloader as ConfigObject).dataset, { type: 'ImageFolder', root: '/imgs', pipeline });
  // …and with `_delete_`, nothing of the old dataset is kept (not even the pipeline).
  const replaced = applyCfgOptions(cfg, ['trainDataloader.dataset={"_delete_": true, "type": "ImageFolder", "root": "/imgs"}']);
  assert.deepEqual((replaced.trainDataloader as ConfigObject).dataset, { type: 'ImageFolder', root: '/imgs' });
  // Within one registry only: a type no registry holds along with the old one keeps every key.
  const unknown = applyCfgOptions(cfg, ['trainDataloader.dataset.type=Nope']);
  assert.equal(((unknown.trainDataloader as ConfigObject).dataset as ConfigObject).split, 'train');
  // The input is untouched.
  assert.equal(((cfg.trainDataloader as ConfigObject).dataset as ConfigObject).type, 'CIFAR10');
});

test('config files: TS with _base_ list, imports of other configs, JSON, replace marker, errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-cfg-'));
  mkdirSync(join(dir, '_base_'));
  writeFileSync(
    join(dir, '_base_', 'model.ts'),
    "const neck: { type: string; outChannels: number } = { type: 'N', outChannels: 128 };\nexport default { model: { type: 'M', neck, head: { t: 0.1 } } };\n",
  );
  writeFileSync(join(dir, '_base_', 'sched.json'), JSON.stringify({ optim: { type: 'SGD', lr: 0.1, momentum: 0.9 } }));
  writeFileSync(
    join(dir, 'exp.ts'),
    "import { replace } from 'selfsup';\nimport type { Config } from 'selfsup';\nexport default {\n  _base_: ['./_base_/model.ts', './_base_/sched.json'],\n  model: { neck: { outChannels: 64 } },\n  optim: replace({ type: 'AdamW', lr: 1e-3 }),\n};\n",
  );
  writeFileSync(
    join(dir, 'imports.ts'),
    "import base from './_base_/model.js';\nexport default { ...base, extra: base.model.type };\n",
  );
  assert.deepEqual(loadConfig(join(dir, 'exp.ts')), {
    model: { type: 'M', neck: { type: 'N', outChannels: 64 }, head: { t: 0.1 } },
    optim: { type: 'AdamW', lr: 1e-3 },
  });
  assert.deepEqual(loadConfig(join(dir, 'imports.ts')).extra, 'M');
  writeFileSync(join(dir, 'cycle-a.ts'), "export default { _base_: './cycle-b.ts' };\n");
  writeFileSync(join(dir, 'cycle-b.ts'), "export default { _base_: './cycle-a.ts' };\n");
  assert.throws(() => loadConfig(join(dir, 'cycle-a.ts')), /config cycle/);
  writeFileSync(join(dir, 'bad.ts'), 'export default { a: ;\n');
  assert.throws(() => loadConfig(join(dir, 'bad.ts')), /bad\.ts:1:\d+: Expression expected/);
  writeFileSync(
    join(dir, 'evil.ts'),
    "import { execSync } from 'node:child_process';\nexport default { a: execSync('true') };\n",
  );
  assert.throws(
    () => loadConfig(join(dir, 'evil.ts')),
    /may import only other config files \(\.\/relative or \/absolute paths\) and 'selfsup', not 'node:child_process'/,
  );
  // An import by absolute path resolves as a `_base_` entry by absolute path does (one rule).
  const abs = join(dir, '_base_', 'model.ts');
  writeFileSync(join(dir, 'abs-import.ts'), `import base from ${JSON.stringify(abs)};\nexport default { ...base, extra: 1 };\n`);
  writeFileSync(join(dir, 'abs-base.ts'), `export default { _base_: [${JSON.stringify(abs)}], extra: 1 };\n`);
  assert.deepEqual(loadConfig(join(dir, 'abs-import.ts')), loadConfig(join(dir, 'abs-base.ts')));
  assert.equal(
    loadConfig(join(dir, 'abs-import.ts')).model && (loadConfig(join(dir, 'abs-import.ts')).model as ConfigObject).type,
    'M',
  );
  // A missing absolute import says "not found" like a missing base, naming the path.
  writeFileSync(join(dir, 'abs-missing.ts'), `import base from ${JSON.stringify(join(dir, 'nope.ts'))};\nexport default base;\n`);
  assert.throws(() => loadConfig(join(dir, 'abs-missing.ts')), /config '\S+nope\.ts' not found/);
  // A bare name is a package, not a config, in an import.
  writeFileSync(join(dir, 'bare.ts'), "import base from 'model';\nexport default base;\n");
  assert.throws(() => loadConfig(join(dir, 'bare.ts')), /not 'model'/);
  writeFileSync(join(dir, 'missing.ts'), "export default { _base_: ['./nope.ts'] };\n");
  assert.throws(() => loadConfig(join(dir, 'missing.ts')), /config '\.\/nope\.ts' not found/);
  // An existing file that is no config (issue 17: `_base_: ['/etc/passwd']` said "not found").
  writeFileSync(join(dir, 'notes.txt'), 'hello\n');
  writeFileSync(join(dir, 'wrong-base.ts'), `export default { _base_: [${JSON.stringify(join(dir, 'notes.txt'))}] };\n`);
  assert.throws(
    () => loadConfig(join(dir, 'wrong-base.ts')),
    /'\S+notes\.txt' \(\S+\) is not a config: a config is a \.ts, \.js or \.json file/,
  );
});

test('validation names the exact path, the reason and the value; unknown keys get suggestions', () => {
  const schema = z.strictObject({ hidChannels: posInt(), outChannels: posInt() });
  const reg = new Registry<number>('necks');
  reg.register(definePart({ registry: reg, name: 'NonLinearNeck', schema, description: 'a test part', build: () => 1 }));
  const err = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e;
    }
    assert.fail('no error');
  };
  let e = err(() => reg.build({ type: 'NonLinearNeck', hidChannels: 'abc', outChannels: 2 }, 'model.neck'));
  assert.equal(e.message, 'model.neck.hidChannels: expected a positive integer, got "abc"');
  e = err(() => reg.build({ type: 'NonLinearNeck', hidChannels: 1.5, outChannels: 2 }, 'model.neck'));
  assert.equal(e.message, 'model.neck.hidChannels: expected a positive integer, got 1.5');
  e = err(() => reg.build({ type: 'NonLinearNeck', hid_channels: 2, hidChannels: 2, outChannels: 2 }, 'model.neck'));
  assert.equal(e.message, "model.neck.hid_channels: unknown key; did you mean 'hidChannels'?");
  e = err(() => reg.build({ type: 'NonLinearNek' }, 'model.neck'));
  assert.match(e.message, /^model\.neck\.type: unknown necks type 'NonLinearNek'; did you mean 'NonLinearNeck'\?$/);
  e = err(() => reg.build('x', 'model.neck'));
  assert.match(e.message, /^model\.neck: expected a necks config object/);
  e = err(() => validate(z.strictObject({ a: z.enum(['x', 'y']) }), { a: 'z' }, 'p'));
  assert.equal(e.message, 'p.a: expected one of "x", "y", got "z"');
});

test('top-level config validation: structure errors have paths', () => {
  const good = {
    model: { type: 'SimCLR' },
    trainDataloader: { batchSize: 32, dataset: { type: 'CIFAR10' } },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
    trainCfg: { maxEpochs: 2 },
  };
  assert.equal(validateConfig(good).trainCfg.maxEpochs, 2);
  assert.throws(
    () => validateConfig({ ...good, trainDataloader: { batchSize: 0, dataset: { type: 'X' } } }),
    /^ConfigError: trainDataloader\.batchSize: expected a positive integer, got 0$/,
  );
  // The optimizer is a part: its registry names the type (and checks its options) when built.
  assert.throws(
    () => buildOptimWrapper({ optimizer: { type: 'SDG', lr: 0.1 } }, new nn.Linear(2, 2)),
    /^ConfigError: optimWrapper\.optimizer\.type: unknown optimizers type 'SDG'; did you mean 'SGD'/,
  );
  assert.throws(() => validateConfig({ ...good, trainCfg: {} }), /trainCfg: needs maxEpochs/);
  assert.throws(
    () => validateConfig({ ...good, trainDataLoader: {} }),
    /^ConfigError: trainDataLoader: unknown key; did you mean 'trainDataloader'\?/,
  );
});
