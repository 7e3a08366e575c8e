import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureConsole } from './run-cli.js';
import sharp from 'sharp';
import { browseDataset } from '../../src/cli/browse-dataset.js';

/** Runs the command with console output captured. */
const run = (argv: string[]) => captureConsole(() => browseDataset(argv));

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
  assert.match(ok.err, /wrote .*grid\.png \(4 rows × 3 columns/);
  const meta = await sharp(out).metadata();
  // Cells of 16 px (the views' size at scale 1), 4-px gaps: 3 columns, 4 rows.
  assert.deepEqual([meta.width, meta.height], [3 * 16 + 4 * 4, 4 * 16 + 5 * 4]);
  const swav = await run(['--data', join(dir, 'data'), '--pipeline', 'swav', '--size', '16', '--n', '2', '--out', out]);
  assert.equal(swav.code, 0, swav.err);
  assert.match(swav.err, /2 rows × 9 columns/);
  assert.equal((await run(['--help'])).code, 0);
  const noData = await run(['--n', '3']);
  assert.deepEqual([noData.code, /--data <path> or a config is required/.test(noData.err)], [2, true]);
  const badPipe = await run(['--data', dir, '--pipeline', 'simclrr']);
  assert.deepEqual([badPipe.code, /unknown --pipeline 'simclrr'/.test(badPipe.err)], [2, true]);
  assert.equal((await run(['--data', dir, '--n', '0'])).code, 2);
  assert.equal((await run(['--data', dir, '--bogus'])).code, 2);
  const missing = await run(['--data', join(dir, 'nope'), '--out', join(dir, 'x.png')]);
  assert.deepEqual([missing.code, /nope: no such file or directory/.test(missing.err)], [1, true]);
  assert.equal(existsSync(join(dir, 'x.png')), false);
});

test('browse-dataset <config>: the config dataset and MultiView pipeline, --data replacing the dataset; config errors exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-browse-cfg-'));
  for (const [name, n] of [
    ['a', 5],
    ['b', 2],
  ] as const) {
    mkdirSync(join(dir, name, 'x'), { recursive: true });
    for (let i = 0; i < n; i++)
      await sharp(Buffer.alloc(12 * 12 * 3, 30 * i), { raw: { width: 12, height: 12, channels: 3 } })
        .png()
        .toFile(join(dir, name, 'x', `${i}.png`));
  }
  const view = (size: number) => [
    { type: 'RandomResizedCrop', size },
    { type: 'RandomFlip', prob: 0.5 },
  ];
  const config = (pipeline: unknown) => {
    const f = join(dir, `cfg${Math.random().toString(36).slice(2)}.ts`);
    writeFileSync(
      f,
      `export default ${JSON.stringify({
        model: { type: 'SimCLR' },
        trainDataloader: { batchSize: 2, dataset: { type: 'ImageFolder', root: join(dir, 'a'), pipeline } },
        optimWrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
        trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 1 },
      })};\n`,
    );
    return f;
  };
  const cfg = config({ type: 'MultiView', numViews: [2, 1], transforms: [view(8), view(4)] });
  const out = join(dir, 'g.png');
  const r = await run([cfg, '--n', '3', '--scale', '1', '--out', out]);
  assert.equal(r.code, 0, r.err);
  // 3 of the config's 5 images, each with 2 + 1 views: 4 columns of 8-px cells (the largest view at scale 1).
  assert.match(r.err, /3 rows × 4 columns/);
  assert.deepEqual([(await sharp(out).metadata()).width, (await sharp(out).metadata()).height], [4 * 8 + 5 * 4, 3 * 8 + 4 * 4]);
  // --data replaces the dataset (2 images), the pipeline stays; --cfg-options edit the config.
  const d = await run([
    cfg,
    '--data',
    join(dir, 'b'),
    '--out',
    out,
    '--cfg-options',
    'trainDataloader.dataset.pipeline.numViews=[1,1]',
  ]);
  assert.equal(d.code, 0, d.err);
  assert.match(d.err, /2 rows × 3 columns/);
  const bad = await run([config([{ type: 'RandomResizedCropp', size: 8 }]), '--out', out]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.err,
    /trainDataloader\.dataset\.pipeline\.0\.type: unknown .*'RandomResizedCropp'; did you mean 'RandomResizedCrop'/,
  );
  const both = await run([cfg, '--pipeline', 'byol']);
  assert.deepEqual([both.code, /--pipeline and --size are for --data without a config/.test(both.err)], [2, true]);
});
