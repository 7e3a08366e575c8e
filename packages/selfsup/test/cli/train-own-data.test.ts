import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const NAME = 'simclr_resnet18-w025_1xb256-coslr-100e_cifar10';
const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-owndata-'));

function selfsup(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const last = (out: string) => JSON.parse(out.trim().split('\n').pop() as string);

/** 8 tiny images in two class folders. */
async function imageFolder(): Promise<string> {
  const data = tmp();
  for (const [ci, cls] of ['a', 'b'].entries()) {
    mkdirSync(join(data, cls));
    for (let i = 0; i < 4; i++)
      await sharp(Buffer.alloc(20 * 20 * 3, ci ? 200 - i : 40 + i), { raw: { width: 20, height: 20, channels: 3 } })
        .png()
        .toFile(join(data, cls, `${i}.png`));
  }
  return data;
}

test('train <bundled name> --data DIR --size N from any directory; its config.json resumes the custom work dir', async () => {
  const data = await imageFolder();
  const elsewhere = tmp();
  const work = join(tmp(), 'custom');
  const small = ['trainDataloader.batchSize=4', 'trainCfg.maxEpochs=1'];
  const r = selfsup(
    ['train', NAME, '--data', data, '--size', '16', '--work-dir', work, '--json', '--cfg-options', ...small],
    elsewhere,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /--data \S+: 8 images in 2 classes; 1 crop\/resize step of the pipeline set to 16 px; the kNN monitor is off/,
  );
  assert.equal(last(r.stdout).iters, 2, '8 images in batches of 4');
  const saved = JSON.parse(readFileSync(join(work, 'config.json'), 'utf8'));
  assert.equal(saved.trainDataloader.dataset.type, 'ImageFolder');
  assert.equal(saved.trainDataloader.dataset.root, data);
  assert.equal(saved.trainDataloader.dataset.split, undefined);
  assert.equal(saved.trainDataloader.dataset.pipeline.transforms[0][0].type, 'RandomResizedCrop');
  assert.equal(saved.trainDataloader.dataset.pipeline.transforms[0][0].size, 16);
  assert.equal(saved.knnMonitor, null);
  assert.equal(saved.workDir, work);
  // From yet another directory, without --work-dir: resumes in the work dir config.json records.
  const r2 = selfsup(
    ['train', join(work, 'config.json'), '--resume', '--json', '--quiet', '--cfg-options', 'trainCfg.maxEpochs=2'],
    tmp(),
  );
  assert.equal(r2.code, 0, r2.stderr);
  const res = last(r2.stdout);
  assert.equal(res.workDir, work);
  assert.equal(res.iters, 4, 'resumed at iteration 2 and trained epoch 2');
  assert.ok(existsSync(join(work, 'checkpoints', 'epoch_2.pth')));
});

test("--cfg-options switches the dataset type (the old type's keys go, the pipeline stays)", async () => {
  const data = await imageFolder();
  const r = selfsup(
    [
      'train',
      `simclr/${NAME}.ts`,
      '--work-dir',
      join(tmp(), 'w'),
      '--json',
      '--quiet',
      '--cfg-options',
      'trainDataloader.dataset.type=ImageFolder',
      `trainDataloader.dataset.root=${data}`,
      'trainDataloader.batchSize=8',
      'trainCfg.maxEpochs=1',
      'knnMonitor=null',
    ],
    tmp(),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(last(r.stdout).iters, 1);
});

test('train: a mistyped config name gets suggestions; --size without --data, too few images and --auto-scale-lr without a base are usage errors', async () => {
  const data = await imageFolder();
  const cwd = tmp();
  let r = selfsup(['train', 'simclr_resnet18-w025_1xb256-coslr-100e_cifar1'], cwd);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /not found: no such file, nor a bundled config .*did you mean 'simclr_resnet18-w025_1xb256-coslr-100e_cifar10'/,
  );
  r = selfsup(['train', NAME, '--size', '16'], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--size goes with --data/);
  r = selfsup(['train', NAME, '--data', data], cwd);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /8 images make no batch of 256 \(the config's batch size\); lower it with --cfg-options trainDataloader\.batchSize=N/,
  );
  r = selfsup(['train', NAME, '--auto-scale-lr'], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--auto-scale-lr: the config has no autoScaleLr\.baseBatchSize/);
  // list configs --json: full paths that exist.
  r = selfsup(['list', 'configs', '--json'], cwd);
  const configs: string[] = last(r.stdout).configs;
  assert.ok(configs.length > 10 && configs.every((c) => c.startsWith('/') && existsSync(c)));
  assert.ok(configs.some((c) => c.endsWith(`simclr/${NAME}.ts`)));
});
