/**
 * A checkpoint damaged on disk is refused where it is loaded: `train --resume` and
 * `eval --checkpoint` fail naming the file and the damaged zip entry instead of carrying on
 * with silently wrong weights.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { testConfig } from '../engine/parts.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const PARTS = fileURLToPath(new URL('../engine/parts.js', import.meta.url));

function selfsup(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Flips one bit inside the data of zip entry `name`, located from its local file header. */
function flipInEntry(file: string, name: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(name, 'utf8'));
  assert.ok(at >= 30 && bytes.readUInt32LE(at - 30) === 0x04034b50, `${name}: local header found`);
  const size = bytes.readUInt32LE(at - 30 + 18);
  assert.ok(size > 0, `${name} holds data`);
  const start = at + name.length + bytes.readUInt16LE(at - 2);
  bytes[start + (size >> 1)] ^= 0x04;
  writeFileSync(file, bytes);
}

test('train --resume and eval --checkpoint refuse a bit-flipped checkpoint, naming the file and the entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-corrupt-ckpt-'));
  const cfg = join(dir, 'exp.json');
  writeFileSync(cfg, JSON.stringify(testConfig({ epochs: 1 })));
  const work = join(dir, 'w');
  let r = selfsup(['train', cfg, '--import', PARTS, '--work-dir', work, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const ckpt = join(work, 'checkpoints', 'epoch_1.pth');
  flipInEntry(ckpt, 'archive/data/0');
  const named = new RegExp(`${ckpt.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: entry archive/data/0 is corrupt`);

  r = selfsup([
    'train',
    cfg,
    '--import',
    PARTS,
    '--work-dir',
    work,
    '--resume',
    '--quiet',
    '--cfg-options',
    'trainCfg.maxEpochs=2',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, named);

  const data = join(dir, 'data');
  for (const cls of ['a', 'b']) {
    mkdirSync(join(data, cls), { recursive: true });
    for (let i = 0; i < 2; i++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: cls === 'a' ? 20 : 220, g: 60 * i, b: 90 } } })
        .png()
        .toFile(join(data, cls, `${i}.png`));
    }
  }
  // Valid arguments otherwise (the folder has no test split: half of it is held out), so the checkpoint is what fails.
  r = selfsup([
    'eval',
    'knn',
    '--checkpoint',
    ckpt,
    '--import',
    PARTS,
    '--train-data',
    data,
    '--test-fraction',
    '0.5',
    '--k',
    '1',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, named);
});
