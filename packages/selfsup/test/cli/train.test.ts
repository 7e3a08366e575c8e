import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { loadCheckpoint } from '../../src/engine/checkpoint.js';
import { testConfig } from '../engine/parts.js';
import { CONFIG_DIR } from '../../src/cli/list.js';
import { readOnlyDir } from '../engine/read-only-dir.js';

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
  assert.match(r.stderr, /missing required argument 'config'/);
  r = selfsup(['train', 'x.ts', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
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

test('selfsup train: a work dir that cannot be created says it is not writable, naming it (not ENOENT/EACCES from mkdir)', (t) => {
  const ro = readOnlyDir();
  if ('skip' in ro) {
    t.skip(ro.skip);
    return;
  }
  const dir = tmp();
  const cfg = configFile(dir, testConfig({ epochs: 1 }));
  const wd = join(ro.dir, 'selfsup-run');
  const r = selfsup(['train', cfg, '--import', PARTS, '--work-dir', wd, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`work dir ${wd} is not writable: cannot create ${wd} in ${ro.dir}: `));
});

test('--import of a TypeScript module that registers a hook through the selfsup package', () => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'my_hook.ts'),
    `import { definePart, HOOKS, Hook, str, z } from 'selfsup';
import { appendFileSync } from 'node:fs';
class MarkHook extends Hook {
  constructor(readonly file: string) { super(); }
  override afterTrainEpoch(): void { appendFileSync(this.file, 'epoch\\n'); }
}
HOOKS.register(
  definePart({
    registry: HOOKS,
    name: 'MarkHook',
    schema: z.strictObject({ file: str() }),
    description: 'appends a line per epoch',
    build: (o) => new MarkHook(o.file),
  }),
);
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

test('2 processes re-fit their schedule to the length rank 0 proposes (Gloo broadcast), and finish together', () => {
  const dir = tmp();
  // 16 images, batch 4 per process: 2 iterations per epoch; 6 planned, re-fitted after the 3rd.
  const base = {
    ...testConfig({ batch: 4 }),
    trainCfg: { type: 'IterBasedTrainLoop', maxIters: 6 },
    paramScheduler: [{ type: 'CosineAnnealingLR', byEpoch: false, begin: 0, end: 6 }],
    customHooks: [{ type: 'AgreedRefitHook', at: 3, base: 9 }],
  };
  const w = join(dir, 'w');
  const args = ['train', configFile(dir, base), '--import', PARTS, '--work-dir', w, '--quiet', '--nproc-per-node', '2'];
  const r = selfsup([...args, '--master-port', String(29700 + (process.pid % 200))]);
  assert.equal(r.code, 0, r.stderr);
  // Rank 0 proposed 9, rank 1 10: both trained 9 (rank 1 alone would have waited for a 10th).
  const { state } = loadCheckpoint(w);
  assert.equal((state.meta as Record<string, number>).iter, 9);
  const saved = JSON.parse(readFileSync(join(w, 'config.json'), 'utf8'));
  assert.deepEqual(saved.trainCfg, { type: 'IterBasedTrainLoop', maxIters: 9 });
  assert.deepEqual(saved.paramScheduler, [{ type: 'CosineAnnealingLR', byEpoch: false, begin: 0, end: 9 }]);
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

test('Ctrl-C (SIGINT) stops after the current iteration with a resumable checkpoint; resume finishes the run', async () => {
  const dir = tmp();
  const base = testConfig({ epochs: 200, n: 64 });
  const cfg = configFile(dir, {
    ...base,
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.001 } },
    defaultHooks: { logger: { interval: 1 }, checkpoint: { interval: 1000 } },
  });
  const work = join(dir, 'w');
  const child = spawn(process.execPath, [BIN, 'train', cfg, '--import', PARTS, '--work-dir', work], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let sent = false;
  // Status and the training log go to stderr (stdout holds only results).
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((done) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // Interrupt once a few iterations have been logged.
      if (!sent && (err.match(/Epoch\(train\)/g) ?? []).length >= 3) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('exit', (c) => done(c));
  });
  assert.equal(code, 130, err);
  assert.equal(out, '', 'nothing on stdout without --json');
  const m = /interrupted \(SIGINT\); saved (\S+iter_(\d+)\.pth)/.exec(err);
  assert.ok(m, err);
  assert.ok(existsSync(m[1]));
  // The last line: the iterations left of the 200 epochs × 16 iterations, after the saved one.
  assert.equal(err.trim().split('\n').pop(), `interrupted: ${200 * 16 - Number(m[2])} iterations remain`);
  const r = selfsup([
    'train',
    cfg,
    '--import',
    PARTS,
    '--work-dir',
    work,
    '--resume',
    '--quiet',
    '--json',
    '--cfg-options',
    'trainCfg.maxEpochs=1',
  ]);
  assert.equal(r.code, 0, r.stderr);
  // Resumed at the interrupted iteration and finished epoch 1 (16 iterations of 4).
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop() as string).iters, 16);
  assert.ok(Number(m[2]) >= 3 && Number(m[2]) < 16);
});

/** Starts a long training run and sends `signal` once `after` iterations are logged; resolves with its exit. */
async function trainUntilSignal(
  args: string[],
  signal: NodeJS.Signals,
  after = 3,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let sent = false;
  // `out` is the training log, which goes to stderr (stdout holds only results).
  child.stdout.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((done) => {
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && (out.match(/Epoch\(train\)/g) ?? []).length >= after) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('exit', (c) => done(c));
  });
  return { code, out, err };
}

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} (batch schedulers, docker stop, a closed terminal) stops like Ctrl-C, with a resumable checkpoint`, async () => {
    const dir = tmp();
    const cfg = configFile(dir, {
      ...testConfig({ epochs: 200, n: 64 }),
      defaultHooks: { logger: { interval: 1 }, checkpoint: { interval: 1000 } },
    });
    const work = join(dir, 'w');
    const r = await trainUntilSignal([cfg, '--import', PARTS, '--work-dir', work], signal);
    // The shell's convention for a process ended by a signal: 128 + its number.
    assert.equal(r.code, 128 + (osConstants.signals[signal] as number), r.out);
    const m = new RegExp(`interrupted \\(${signal}\\); saved (\\S+iter_(\\d+)\\.pth)`).exec(r.out);
    assert.ok(m, r.out);
    const { state } = loadCheckpoint(m[1]);
    assert.equal((state.meta as { iter: number }).iter, Number(m[2]), 'the checkpoint is the interrupted iteration');
  });
}

test('workers of a launcher killed with -9 notice and exit instead of training on', async () => {
  const dir = tmp();
  const cfg = configFile(dir, {
    ...testConfig({ epochs: 500, n: 64 }),
    // A small lr: the run must still be training (not stopped by a diverging loss) when checked.
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.001 } },
    defaultHooks: { logger: { interval: 1 }, checkpoint: { interval: 1000 } },
  });
  const launcher = spawn(
    process.execPath,
    [BIN, 'train', cfg, '--import', PARTS, '--work-dir', join(dir, 'w'), '--nproc-per-node', '2'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  launcher.stdout.on('data', () => {});
  await new Promise<void>((ready) => {
    launcher.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      if ((out.match(/Epoch\(train\)/g) ?? []).length >= 2) ready();
    });
  });
  const children = spawnSync('pgrep', ['-P', String(launcher.pid)], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);
  assert.equal(children.length, 2, 'two workers');
  launcher.kill('SIGKILL');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const t0 = Date.now();
  while (children.some(alive) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!children.some(alive), `workers still running ${Date.now() - t0} ms after the launcher died`);
});

test('selfsup list and flops: --json outputs', () => {
  let r = selfsup(['list', 'algorithms', 'configs', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const l = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  for (const a of ['SimCLR', 'MoCo', 'MoCoV3', 'BYOL', 'SimSiam', 'BarlowTwins', 'SwAV', 'DenseCL', 'VICReg', 'DINO', 'SimMIM'])
    assert.ok(l.algorithms.includes(a), a);
  assert.ok(l.configs.includes(join(CONFIG_DIR, 'simclr/simclr_resnet50_16xb256-coslr-200e_in1k.ts')));
  r = selfsup(['list', 'nonsense']);
  assert.equal(r.code, 2);
  const cfg = join(CONFIG_DIR, 'simclr/simclr_resnet50_16xb256-coslr-200e_in1k.ts');
  r = selfsup(['flops', cfg, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  // ResNet-50 without its classifier: 23.5 M parameters, 4.09 GMACs at 224² (fvcore's count).
  assert.equal(f.params, 23508032);
  assert.ok(Math.abs(f.flops / 1e9 - 4.09) < 0.01, String(f.flops));
});

test('selfsup train --fit-minutes: the schedule is fitted, trained to its end and saved as config.json; one process only', () => {
  const dir = tmp();
  const base = testConfig({ epochs: 100 });
  const cfg = configFile(dir, { ...base, optimWrapper: { optimizer: { type: 'SGD', lr: 0.002 } } });
  const w = join(dir, 'w');
  const r = selfsup(['train', cfg, '--import', PARTS, '--work-dir', w, '--fit-minutes', '0.005', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const m = /([\d.]+) s per iteration → (\d+) iterations/.exec(r.stderr);
  assert.ok(m, r.stderr);
  let iters = Number(m[2]);
  // The run's checks may re-fit the length to the pace they measure; the saved config follows.
  for (const [, from, to] of r.stderr.matchAll(/re-fitted from (\d+) to (\d+) iterations/g)) {
    assert.equal(Number(from), iters);
    iters = Number(to);
  }
  const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  // The run ends with its schedule (or, on a machine that slowed down, by the time limit).
  if (res.stopped === undefined) assert.equal(res.iters, iters);
  else assert.match(res.stopped, /time budget of 0.3 s spent/);
  const saved = JSON.parse(readFileSync(join(w, 'config.json'), 'utf8'));
  assert.deepEqual(saved.trainCfg, { type: 'IterBasedTrainLoop', maxIters: iters });
  assert.equal(saved.paramScheduler[1].end, iters);
  let e = selfsup(['train', cfg, '--import', PARTS, '--fit-minutes', '1', '--nproc-per-node', '2']);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /--fit-minutes runs on one process/);
  e = selfsup(['train', cfg, '--import', PARTS, '--fit-minutes', '1', '--resume']);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /cannot be combined with --resume/);
});
