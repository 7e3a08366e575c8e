import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/engine/checkpoint.js';
import { adoptSlurmEnv, firstSlurmHost } from '../../src/engine/launch.js';
import { testConfig } from './parts.js';
import { freePort } from '../helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const PARTS = fileURLToPath(new URL('./parts.js', import.meta.url));
const DIST_TRAIN = fileURLToPath(new URL('../../../../../tools/dist_train.sh', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-launch-'));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('firstSlurmHost reads the first host of a Slurm node list, keeping zero padding', () => {
  assert.equal(firstSlurmHost('node7'), 'node7');
  assert.equal(firstSlurmHost('gpu[07-08,11],cpu3'), 'gpu07');
  assert.equal(firstSlurmHost('a1,b2'), 'a1');
  assert.equal(firstSlurmHost('x[009-012]-ib'), 'x009-ib');
  assert.equal(firstSlurmHost('c[3,5-6]'), 'c3');
  assert.throws(() => firstSlurmHost(''), /not a Slurm node list/);
});

test('adoptSlurmEnv maps SLURM_* to the torchrun variables; scontrol names the master; set variables win', () => {
  const bin = tmp();
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: bin,
    SLURM_PROCID: '5',
    SLURM_NTASKS: '16',
    SLURM_LOCALID: '1',
    SLURM_NODELIST: 'gpu[03-04]',
    ...extra,
  });
  // No scontrol on the PATH: the node list is parsed.
  let e = env({});
  assert.deepEqual(adoptSlurmEnv(e), {
    RANK: '5',
    WORLD_SIZE: '16',
    LOCAL_RANK: '1',
    MASTER_ADDR: 'gpu03',
    MASTER_PORT: '29500',
  });
  assert.equal(e.RANK, '5');
  // scontrol expands the list (a fake one that prints other names proves it was asked).
  writeFileSync(join(bin, 'scontrol'), '#!/bin/sh\n[ "$1 $2" = "show hostnames" ] && printf "head-a\\nhead-b\\n"\n');
  chmodSync(join(bin, 'scontrol'), 0o755);
  e = env({ MASTER_PORT: '4321' });
  assert.deepEqual(adoptSlurmEnv(e), {
    RANK: '5',
    WORLD_SIZE: '16',
    LOCAL_RANK: '1',
    MASTER_ADDR: 'head-a',
    MASTER_PORT: '4321',
  });
  e = env({ MASTER_ADDR: '10.1.1.1', RANK: '2' });
  assert.equal(adoptSlurmEnv(e).MASTER_ADDR, '10.1.1.1');
  assert.equal(e.RANK, '2');
  assert.throws(
    () => adoptSlurmEnv({ PATH: bin, SLURM_PROCID: '0' }),
    /SLURM_NTASKS, SLURM_NODELIST not set \(run the command under srun\)/,
  );
});

test('two srun-style tasks (--launcher slurm) and tools/dist_train.sh each train one run over 2 processes', async () => {
  const dir = tmp();
  const cfg = join(dir, 'exp.ts');
  writeFileSync(cfg, `export default ${JSON.stringify(testConfig({ epochs: 1, n: 16, batch: 4 }))};\n`);
  const port = await freePort();
  const tasks = [0, 1].map((rank) =>
    run(
      process.execPath,
      [BIN, 'train', cfg, '--import', PARTS, '--work-dir', join(dir, 'slurm'), '--launcher', 'slurm', '--quiet'],
      {
        ...process.env,
        SLURM_PROCID: String(rank),
        SLURM_LOCALID: String(rank),
        SLURM_NTASKS: '2',
        SLURM_NODELIST: 'localhost',
        MASTER_PORT: String(port),
        OMP_NUM_THREADS: '1',
      },
    ),
  );
  for (const r of await Promise.all(tasks)) assert.equal(r.code, 0, r.out);
  // 16 images, 2 processes × batch 4: 2 iterations per epoch (one process alone would make 4).
  const meta = (d: string) => loadCheckpoint(join(dir, d)).state.meta as Record<string, number>;
  assert.equal(meta('slurm').iter, 2);
  assert.equal(meta('slurm').world_size, 2);

  const r = await run('bash', [DIST_TRAIN, cfg, '2', '--import', PARTS, '--work-dir', join(dir, 'dist'), '--quiet'], {
    ...process.env,
    PORT: String(await freePort()),
  });
  assert.equal(r.code, 0, r.out);
  assert.equal(meta('dist').world_size, 2);
  assert.equal(meta('dist').iter, 2);
});
