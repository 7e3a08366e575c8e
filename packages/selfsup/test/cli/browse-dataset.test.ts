import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { browseDataset } from '../../src/cli/browse-dataset.js';

/** Runs the command with console output captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  try {
    return { code: await browseDataset(argv), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('browse-dataset: a grid of 1 + views columns per row; usage errors exit 2, failures 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-browse-'));
  for (const [c, k] of [
    ['a', 3],
    ['b', 2],
  ] as const) {
    mkdirSync(join(dir, 'data', c), { recursive: true });
    for (let i = 0; i < k; i++) {
      const raw = Buffer.alloc(20 * 24 * 3, 40 * i + (c === 'a' ? 0 : 120));
      await sharp(raw, { raw: { width: 24, height: 20, channels: 3 } })
        .png()
        .toFile(join(dir, 'data', c, `${i}.png`));
    }
  }
  const out = join(dir, 'grid.png');
  const ok = await run([
    '--data',
    join(dir, 'data'),
    '--pipeline',
    'byol',
    '--size',
    '16',
    '--n',
    '4',
    '--scale',
    '1',
    '--out',
    out,
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /wrote .*grid\.png \(4 rows × 3 columns/);
  const meta = await sharp(out).metadata();
  // Cells of 16 px (the views' size at scale 1), 4-px gaps: 3 columns, 4 rows.
  assert.deepEqual([meta.width, meta.height], [3 * 16 + 4 * 4, 4 * 16 + 5 * 4]);
  const swav = await run(['--data', join(dir, 'data'), '--pipeline', 'swav', '--size', '16', '--n', '2', '--out', out]);
  assert.equal(swav.code, 0, swav.err);
  assert.match(swav.out, /2 rows × 9 columns/);
  assert.equal((await run(['--help'])).code, 0);
  const noData = await run(['--n', '3']);
  assert.deepEqual([noData.code, /--data <path> is required/.test(noData.err)], [2, true]);
  const badPipe = await run(['--data', dir, '--pipeline', 'simclrr']);
  assert.deepEqual([badPipe.code, /unknown --pipeline 'simclrr'/.test(badPipe.err)], [2, true]);
  assert.equal((await run(['--data', dir, '--n', '0'])).code, 2);
  assert.equal((await run(['--data', dir, '--bogus'])).code, 2);
  const missing = await run(['--data', join(dir, 'nope'), '--out', join(dir, 'x.png')]);
  assert.deepEqual([missing.code, /nope: no such file or directory/.test(missing.err)], [1, true]);
  assert.equal(existsSync(join(dir, 'x.png')), false);
});
