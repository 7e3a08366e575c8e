/**
 * The run report reads the training data under the loader's onCorrupt policy: a run that skipped
 * an undecodable image must not fail afterwards when the report draws its augmentation grid.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const PARTS = fileURLToPath(new URL('./parts.js', import.meta.url));

test("onCorrupt: 'skip' with numWorkers 0: training and the report finish (exit 0), warning with the bad file's name", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-report-corrupt-'));
  const root = join(dir, 'imgs');
  mkdirSync(root);
  for (let i = 0; i < 6; i++) {
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: 100, b: 200 - 30 * i } } })
      .png()
      .toFile(join(root, `${i}.png`));
  }
  writeFileSync(join(root, '3.png'), 'not a png');
  const cfg = join(dir, 'exp.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      model: { type: 'TestAlgo', size: 8 },
      trainDataloader: {
        batchSize: 2,
        numWorkers: 0,
        onCorrupt: 'skip',
        dataset: { type: 'ImageFolder', root, pipeline: [{ type: 'RandomResizedCrop', size: 8 }] },
      },
      optimWrapper: { optimizer: { type: 'SGD', lr: 0.01 } },
      trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 1 },
      randomness: { seed: 0 },
    }),
  );
  const work = join(dir, 'w');
  const r = spawnSync(process.execPath, [BIN, 'train', cfg, '--import', PARTS, '--work-dir', work, '--quiet'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipping undecodable image: .*3\.png: cannot decode image/);
  assert.ok(existsSync(join(work, 'report.html')), 'report written');
  assert.ok(existsSync(join(work, 'checkpoints', 'epoch_1.pth')), 'checkpoint written');
});
