/**
 * Commands that read a dataset outside training honour the onCorrupt policy: `browse-dataset`
 * takes its config's `trainDataloader.onCorrupt`; `extract` (as `eval` and `vis`) takes
 * `--on-corrupt error|skip`. An undecodable image fails the command by default, naming the file,
 * and with `skip` is left out with a warning naming it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { corruptFlag, UsageError } from '../../src/cli/args.js';
import { browseDataset } from '../../src/cli/browse-dataset.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));

/** A train split of two class folders of 3 PNGs each, `b/1.png` garbage; returns the split's folder. */
async function folder(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'selfsup-on-corrupt-')), 'data', 'train');
  for (const cls of ['a', 'b']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 30 * i, g: cls === 'a' ? 0 : 200, b: 50 } } })
        .png()
        .toFile(join(root, cls, `${i}.png`));
    }
  }
  writeFileSync(join(root, 'b', '1.png'), 'not an image');
  return root;
}

async function captured(f: () => Promise<number>): Promise<{ code: number; err: string }> {
  const saved = [console.log, console.error, console.warn];
  let err = '';
  console.log = () => {};
  console.error = console.warn = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  try {
    return { code: await f(), err };
  } finally {
    [console.log, console.error, console.warn] = saved;
  }
}

test("browse-dataset <config> follows the config's onCorrupt: fails by default naming the file; skip warns and fills the grid", async () => {
  const root = await folder();
  const config = (onCorrupt?: string) => {
    const f = join(root, '..', `cfg-${onCorrupt ?? 'default'}.json`);
    writeFileSync(
      f,
      JSON.stringify({
        model: { type: 'SimCLR' },
        trainDataloader: {
          batchSize: 2,
          ...(onCorrupt ? { onCorrupt } : {}),
          dataset: { type: 'ImageFolder', root, pipeline: [{ type: 'RandomResizedCrop', size: 8 }] },
        },
        optimWrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
        trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 1 },
      }),
    );
    return f;
  };
  const out = join(root, '..', 'grid.png');
  const failed = await captured(() => browseDataset([config(), '--n', '6', '--out', out]));
  assert.equal(failed.code, 1);
  assert.match(failed.err, /b\/1\.png: cannot decode image/);
  const height = async (n: number) => {
    const r = await captured(() => browseDataset([config('skip'), '--n', String(n), '--scale', '1', '--out', out]));
    assert.equal(r.code, 0, r.err);
    return { err: r.err, height: (await sharp(readFileSync(out)).metadata()).height as number };
  };
  const six = await height(6);
  assert.match(six.err, /skipping undecodable image: .*b\/1\.png/);
  // 5 of the 6 images decode: asking for 6 rows gives the 5-row grid, one row taller than 4.
  const [five, four] = [await height(5), await height(4)];
  assert.equal(six.height, five.height);
  assert.ok(five.height > four.height);
});

test('extract --on-corrupt skip leaves the bad image out with a warning; by default it fails naming the file; a bad value is a usage error', async () => {
  const root = await folder();
  const run = (...extra: string[]) =>
    spawnSync(
      process.execPath,
      [BIN, 'extract', '--pixels', '--data', join(root, '..'), '--out', join(root, '..', 'f.npy'), '--json', ...extra],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
  let r = run();
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /b\/1\.png: cannot decode image/);
  r = run('--on-corrupt', 'skip');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipping undecodable image: .*b\/1\.png/);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop() as string).count, 5);
  assert.throws(
    () => corruptFlag('skp'),
    (e: Error) => e instanceof UsageError && /--on-corrupt must be error or skip, got 'skp'/.test(e.message),
  );
});
