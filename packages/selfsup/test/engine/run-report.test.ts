/**
 * The run report reads the training data under the loader's onCorrupt policy: a run that skipped
 * an undecodable image must not fail afterwards when the report draws its augmentation grid, nor
 * when the kNN monitor extracts features for its accuracy and the report's t-SNE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  for (const cls of ['a', 'b']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: cls === 'a' ? 20 : 220, b: 90 } } })
        .png()
        .toFile(join(root, cls, `${i}.png`));
    }
  }
  writeFileSync(join(root, 'b', '1.png'), 'not a png');
  // The kNN monitor (features of both sets, and the report's t-SNE) reads the same folder.
  const labelled = { type: 'ImageFolder', root, pipeline: [{ type: 'Resize', size: 8 }] };
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
      knnMonitor: { train: labelled, val: labelled, k: 1, interval: 1 },
      randomness: { seed: 0 },
    }),
  );
  const work = join(dir, 'w');
  const r = spawnSync(process.execPath, [BIN, 'train', cfg, '--import', PARTS, '--work-dir', work, '--quiet'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipping undecodable image: .*b\/1\.png: cannot decode image/);
  const report = readFileSync(join(work, 'report.html'), 'utf8');
  // The monitor's val features: the 5 images of 6 that decode.
  assert.match(report, /t-SNE of backbone features \(5 images\)/);
  assert.ok(existsSync(join(work, 'checkpoints', 'epoch_1.pth')), 'checkpoint written');
});
