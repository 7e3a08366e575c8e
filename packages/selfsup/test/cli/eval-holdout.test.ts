/**
 * `eval --test-fraction` on an image folder without a test split: the raw-pixel 1-NN accuracy is
 * that of a brute-force 1-NN over the hold-out replayed here (PyTorch's seeded randperm, the
 * documented per-class rule), the sizes are those of the hold-out; data without a test split and
 * no fraction, or with one and a fraction, are usage errors; `vis --test-fraction` plots the
 * same held-out images.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { py } from '../helpers.js';
import { testConfig } from '../engine/parts.js';
import { lastJson, PARTS, spawnSelfsup } from './run-cli.js';

const selfsup = spawnSelfsup;

/** Class folders a/, b/, c/ of 5, 4 and 3 random 8×8 PNGs (ImageFolder order: class, then file name). */
async function makeFolder(dir: string): Promise<{ label: number; px: number[] }[]> {
  const out: { label: number; px: number[] }[] = [];
  let s = 11;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (const [label, [cls, n]] of (
    [
      ['a', 5],
      ['b', 4],
      ['c', 3],
    ] as const
  ).entries()) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = Array.from({ length: 8 * 8 * 3 }, () => Math.round(60 * label + rnd() * 120));
      await sharp(Buffer.from(px), { raw: { width: 8, height: 8, channels: 3 } })
        .png()
        .toFile(join(dir, cls, `${i}.png`));
      out.push({ label, px });
    }
  }
  return out;
}

test('eval knn --test-fraction: a seeded class-balanced hold-out of a folder without a test split', async () => {
  const work = mkdtempSync(join(tmpdir(), 'selfsup-holdout-'));
  const data = join(work, 'data');
  const images = await makeFolder(data);
  const cfg = join(work, 'exp.ts');
  writeFileSync(cfg, `export default ${JSON.stringify(testConfig())};\n`);
  const seed = 3;
  const fraction = 0.4;
  const held = py<number[]>(
    `labels = D['labels']
perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(D['seed'])).tolist()
quota = {c: min(labels.count(c) - 1, max(1, int(math.floor(D['f'] * labels.count(c) + 0.5)))) for c in set(labels)}
picked = []
for i in perm:
    if quota[labels[i]] > 0:
        quota[labels[i]] -= 1
        picked.append(i)
OUT = sorted(picked)`,
    { labels: images.map((im) => im.label), seed, f: fraction },
  );
  // 5 → 2, 4 → round(1.6) = 2, 3 → round(1.2) = 1.
  assert.equal(held.length, 5);
  const model = ['--config', cfg, '--import', PARTS];
  let r = selfsup([
    'eval',
    'knn',
    ...model,
    '--train-data',
    data,
    '--test-fraction',
    `${fraction}`,
    '--seed',
    `${seed}`,
    '--baselines',
    '--k',
    '1',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  assert.match(out.test, /^Subset\(5 of /);
  assert.match(out.train, /^Subset\(7 of /);
  // Brute-force 1-NN of the held-out images among the rest (TestAlgo's statistics: mean 127.5, std 64).
  const norm = (px: number[]) => {
    const x = px.map((p) => (p - 127.5) / 64);
    const n = Math.hypot(...x);
    return x.map((e) => e / n);
  };
  const trainIdx = images.map((_, i) => i).filter((i) => !held.includes(i));
  let correct = 0;
  for (const q of held) {
    const qn = norm(images[q].px);
    let best = -2;
    let label = -1;
    for (const j of trainIdx) {
      const sim = norm(images[j].px).reduce((a, e, k) => a + e * qn[k], 0);
      if (sim > best) [best, label] = [sim, images[j].label];
    }
    if (label === images[q].label) correct++;
  }
  assert.equal(out.results.pixels.knn['1'].top1, (100 * correct) / held.length);

  // No test split and no fraction: the error suggests one.
  r = selfsup(['eval', 'knn', ...model, '--train-data', data]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has no 'test' split: pass --test-fraction F/);
  // A test split and a fraction: refused unless --force-split.
  const split = join(work, 'split');
  mkdirSync(join(split, 'train', 'a'), { recursive: true });
  mkdirSync(join(split, 'test', 'a'), { recursive: true });
  r = selfsup(['eval', 'knn', ...model, '--train-data', split, '--test-fraction', '0.2']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has a test split: .*--force-split/);

  // vis plots the same hold-out: its point count is the hold-out's.
  const png = join(work, 'tsne.svg');
  r = selfsup([
    'vis',
    'tsne',
    '--pixels',
    '--data',
    data,
    '--test-fraction',
    `${fraction}`,
    '--seed',
    `${seed}`,
    '--out',
    png,
    '--perplexity',
    '2',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson(r.stdout).points, 5);
});
