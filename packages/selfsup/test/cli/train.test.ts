import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { loadCheckpoint } from '../../src/engine/checkpoint.js';
import { testConfig } from '../engine/parts.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const PARTS = fileURLToPath(new URL('../engine/parts.js', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-cli-'));

function selfsup(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(dir: string, cfg: unknown): string {
  const f = join(dir, 'exp.ts');
  writeFileSync(f, `export default ${JSON.stringify(cfg, null, 2)};\n`);
  return f;
}

test('selfsup train: --json result, config.json written and reusable as a config, exit 0', () => {
  const dir = tmp();
  const cfg = configFile(dir, testConfig({ epochs: 1 }));
  const r = selfsup(['train', cfg, '--import', PARTS, '--work-dir', join(dir, 'w'), '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(res.iters, 4);
  assert.equal(res.epochs, 1);
  assert.equal(res.checkpoint, join(dir, 'w', 'checkpoints', 'epoch_1.pth'));
  assert.equal(res.report, join(dir, 'w', 'report.html'));
  assert.match(readFileSync(res.report, 'utf8'), /<svg/);
  // The written config.json trains the same way (with an override).
  const r2 = selfsup([
    'train',
    join(dir, 'w', 'config.json'),
    '--import',
    PARTS,
    '--work-dir',
    join(dir, 'w2'),
    '--json',
    '--quiet',
    '--cfg-options',
    'trainCfg.maxEpochs=2',
  ]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(r2.stdout.trim().split('\n').pop() as string).iters, 8);
});

test('selfsup train: usage and config errors exit 2 naming the problem; NaN exits 1', () => {
  const dir = tmp();
  let r = selfsup(['train']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /train needs exactly one config file/);
  r = selfsup(['train', 'x.ts', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown option '--bogus'/);
  const bad = configFile(dir, { ...testConfig(), trainDataloader: { batchSize: 'abc', dataset: { type: 'TestArray' } } });
  r = selfsup(['train', bad, '--import', PARTS]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /config error: trainDataloader\.batchSize: expected a positive integer, got "abc"/);
  const typo = configFile(dir, { ...testConfig(), model: { type: 'TestAlgoo' } });
  r = selfsup(['train', typo, '--import', PARTS, '--work-dir', join(dir, 'typo')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model\.type: unknown algorithms type 'TestAlgoo'; did you mean 'TestAlgo'/);
  const nan = configFile(dir, testConfig({ nanAt: 2 }));
  r = selfsup(['train', nan, '--import', PARTS, '--work-dir', join(dir, 'nan'), '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /loss is NaN at epoch 1, iteration 3/);
  r = selfsup(['train', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--nproc-per-node/);
  r = selfsup(['nonsense']);
  assert.equal(r.code, 2);
});

test('--import of a TypeScript module that registers a hook through the selfsup package', () => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'my_hook.ts'),
    `import { HOOKS, Hook } from 'selfsup';
import { appendFileSync } from 'node:fs';
class MarkHook extends Hook {
  constructor(readonly file: string) { super(); }
  override afterTrainEpoch(): void { appendFileSync(this.file, 'epoch\\n'); }
}
HOOKS.register('MarkHook', (cfg) => new MarkHook(String(cfg.file)));
`,
  );
  const mark = join(dir, 'marks.txt');
  const cfg = configFile(dir, { ...testConfig({ epochs: 2 }), customHooks: [{ type: 'MarkHook', file: mark }] });
  const r = selfsup([
    'train',
    cfg,
    '--import',
    PARTS,
    '--import',
    join(dir, 'my_hook.ts'),
    '--work-dir',
    join(dir, 'w'),
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(spawnSync('cat', [mark], { encoding: 'utf8' }).stdout, 'epoch\nepoch\n');
});

test('2 processes × batch B (Gloo, --nproc-per-node 2) = 1 process × batch 2B after 4 steps', () => {
  const dir = tmp();
  const base = { ...testConfig({ epochs: 2, batch: 4, shuffle: false }), model: { type: 'TestAlgo', size: 8, dropout: 0 } };
  const two = configFile(dir, base);
  let r = selfsup([
    'train',
    two,
    '--import',
    PARTS,
    '--work-dir',
    join(dir, 'ddp'),
    '--quiet',
    '--nproc-per-node',
    '2',
    '--master-port',
    String(29500 + (process.pid % 1000)),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const single = join(dir, 'single.ts');
  writeFileSync(
    single,
    `export default ${JSON.stringify({ ...base, trainDataloader: { ...base.trainDataloader, batchSize: 8 } })};\n`,
  );
  r = selfsup(['train', single, '--import', PARTS, '--work-dir', join(dir, 'one'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const w = (d: string) => {
    const { state } = loadCheckpoint(join(dir, d));
    assert.equal((state.meta as Record<string, number>).iter, 4);
    return (state.state_dict as Record<string, torch.Tensor>)['backbone.fc.weight'];
  };
  const diff = torch.tidy(() => w('ddp').sub(w('one')).abs().max().item());
  const scale = torch.tidy(() => w('one').abs().max().item());
  assert.ok(diff < 1e-5 * Math.max(1, scale), `max |Δw| = ${diff}`);
  // …and training moved the weights (the comparison is not between two untouched inits).
  const { state } = loadCheckpoint(join(dir, 'one', 'checkpoints', 'epoch_1.pth'));
  assert.ok(
    torch.tidy(() => (state.state_dict as Record<string, torch.Tensor>)['backbone.fc.weight'].sub(w('one')).abs().max().item()) >
      1e-4,
  );
});
