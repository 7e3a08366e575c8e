import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { py } from '../helpers.js';
import { testConfig } from '../engine/parts.js';
import { lastJson, PARTS, spawnSelfsup } from './run-cli.js';
import '../../src/builtins.js';

const selfsup = spawnSelfsup;

/** train/ and test/ image folders, 2 classes of 8×8 PNGs: dark and bright with seeded noise. */
async function makeFolder(): Promise<{ dir: string; pixels: Record<string, number[][]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-eval-'));
  const pixels: Record<string, number[][]> = { train: [], test: [] };
  let s = 7;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (const split of ['train', 'test']) {
    for (const [ci, cls] of ['dark', 'light'].entries()) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const px = Array.from({ length: 8 * 8 * 3 }, () => Math.round((ci === 0 ? 40 : 200) + rnd() * 50));
        await sharp(Buffer.from(px), { raw: { width: 8, height: 8, channels: 3 } })
          .png()
          .toFile(join(dir, split, cls, `${i}.png`));
        pixels[split].push([ci, ...px]);
      }
    }
  }
  return { dir, pixels };
}

test('selfsup eval knn/linear with baselines, extract and vis on an image folder', async () => {
  const { dir, pixels } = await makeFolder();
  // Outputs live apart from the data folder (whose sub-folders are its splits).
  const work = mkdtempSync(join(tmpdir(), 'selfsup-eval-work-'));
  const cfgFile = join(work, 'exp.ts');
  writeFileSync(cfgFile, `export default ${JSON.stringify(testConfig({ epochs: 1 }))};\n`);
  let r = selfsup(['train', cfgFile, '--import', PARTS, '--work-dir', join(work, 'w'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);

  r = selfsup([
    'eval',
    'knn',
    '--checkpoint',
    join(work, 'w'),
    '--import',
    PARTS,
    '--train-data',
    dir,
    '--baselines',
    '--k',
    '1,3',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const knn = lastJson(r.stdout);
  assert.deepEqual(Object.keys(knn.results).sort(), ['pixels', 'random', 'ssl']);
  // Raw-pixel 1-NN (cosine of normalised pixels), computed here by brute force.
  const norm = (v: number[]) => {
    const x = v.slice(1).map((p) => (p - 127.5) / 64);
    // TestAlgo normalises with mean 127.5, std 64 (the pixel baseline uses the model's statistics);
    // HWC → CHW order does not change a cosine.
    const n = Math.hypot(...x);
    return x.map((e) => e / n);
  };
  const tr = pixels.train.map(norm);
  let correct = 0;
  pixels.test.forEach((t, i) => {
    const q = norm(t);
    let best = -2;
    let label = -1;
    tr.forEach((x, j) => {
      const sim = x.reduce((a, e, k) => a + e * q[k], 0);
      if (sim > best) [best, label] = [sim, pixels.train[j][0]];
    });
    if (label === pixels.test[i][0]) correct++;
  });
  assert.equal(knn.results.pixels.knn['1'].top1, (100 * correct) / pixels.test.length);
  for (const enc of ['ssl', 'random']) assert.ok(knn.results[enc].knn['3'].top1 >= 0 && knn.results[enc].knn['3'].top1 <= 100);

  r = selfsup([
    'eval',
    'linear',
    '--checkpoint',
    join(work, 'w'),
    '--import',
    PARTS,
    '--train-data',
    dir,
    '--epochs',
    '30',
    '--lr',
    '0.5',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson(r.stdout).results.ssl.linear.trainLoss.length, 30);

  const npy = join(work, 'feats.npy');
  r = selfsup(['extract', '--pixels', '--data', dir, '--split', 'test', '--out', npy, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson(r.stdout).count, 12);
  const got = py<{ f: number[][]; l: number[] }>(
    `import numpy as np
f = np.load(D['f']); l = np.load(D['l'])
OUT = {'f': f.tolist(), 'l': l.tolist()}`,
    { f: npy, l: join(work, 'feats.labels.npy') },
  );
  assert.deepEqual(
    got.l,
    pixels.test.map((p) => p[0]),
  );
  // First test image, CHW order, (p − 127.5) / 127.5.
  const first = pixels.test[0].slice(1);
  const chw = [0, 1, 2].flatMap((c) => Array.from({ length: 64 }, (_, k) => (first[k * 3 + c] - 127.5) / 127.5));
  assert.ok(got.f[0].every((v, i) => Math.abs(v - chw[i]) < 1e-6));

  const png = join(work, 'tsne.png');
  r = selfsup(['vis', 'tsne', '--pixels', '--data', dir, '--out', png, '--perplexity', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson(r.stdout).points, 12);
  const meta = await sharp(png).metadata();
  assert.ok(existsSync(png) && (meta.width ?? 0) > 100);

  r = selfsup(['eval', 'knn', '--train-data', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pass --checkpoint or --config/);
});

test('selfsup eval finetune: MAE’s fine-tuning options (mixup, cutmix, smoothing, EMA, layer decay) on a ViT', async () => {
  const { dir } = await makeFolder();
  const cfg = join(dir, 'vit.ts');
  writeFileSync(
    cfg,
    `export default ${JSON.stringify({
      model: {
        type: 'MAE',
        backbone: { type: 'MAEViT', imgSize: 8, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
        neck: {
          type: 'MAEPretrainDecoder',
          numPatches: 4,
          patchSize: 4,
          embedDim: 16,
          decoderEmbedDim: 8,
          decoderDepth: 1,
          decoderNumHeads: 2,
        },
        head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
      },
      trainDataloader: { batchSize: 4, dataset: { type: 'ImageFolder', root: join(dir, 'train') } },
      optimWrapper: { optimizer: { type: 'AdamW', lr: 1e-3 } },
      trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 1 },
    })};\n`,
  );
  const common = ['eval', 'finetune', '--config', cfg, '--train-data', dir, '--epochs', '2', '--batch-size', '4'];
  let r = selfsup([
    ...common,
    ...['--layer-decay', '0.65', '--warmup-epochs', '1', '--label-smoothing', '0.1', '--mixup', '0.8', '--cutmix', '1.0'],
    ...['--ema', '0.5', '--clip-grad', '5', '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout).results.ssl;
  assert.equal(out.trainLoss.length, 2, 'one mean loss per epoch');
  assert.ok(out.top1 >= 0 && out.top1 <= 100 && out.trainLoss.every(Number.isFinite));
  // Bad values are refused with the option named.
  r = selfsup([...common, '--mixup', '-1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mixup/);
  r = selfsup([...common, '--warmup-epochs', '2']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /warmupEpochs must be in \[0, epochs\)/);
});
