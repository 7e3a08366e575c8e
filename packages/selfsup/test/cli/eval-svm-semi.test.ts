import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { assertClose, py } from '../helpers.js';
import { testConfig } from '../engine/parts.js';
import { lastJson, PARTS, spawnSelfsup } from './run-cli.js';
import { PY_SVM } from '../evaluation/svm-reference.js';

const selfsup = spawnSelfsup;

/** train/ and test/ folders of 8×8 PNGs, 2 classes (dark, bright, with overlapping seeded noise), 6 per class. */
async function setup(): Promise<{ dir: string; cfg: string; pixels: Record<string, number[][]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-svm-'));
  const pixels: Record<string, number[][]> = { train: [], test: [] };
  let s = 11;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (const split of ['train', 'test'])
    for (const [ci, cls] of ['dark', 'light'].entries()) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const px = Array.from({ length: 8 * 8 * 3 }, () => Math.round((ci === 0 ? 90 : 130) + rnd() * 100));
        await sharp(Buffer.from(px), { raw: { width: 8, height: 8, channels: 3 } })
          .png()
          .toFile(join(dir, split, cls, `${i}.png`));
        pixels[split].push([ci, ...px]);
      }
    }
  const work = mkdtempSync(join(tmpdir(), 'selfsup-svm-work-'));
  const cfg = join(work, 'exp.ts');
  writeFileSync(cfg, `export default ${JSON.stringify(testConfig({ epochs: 1 }))};\n`);
  return { dir, cfg, pixels };
}

test('selfsup eval svm: the raw-pixel baseline equals the scikit-learn VOC07 protocol on the same pixels; low-shot; errors', async () => {
  const { dir, cfg, pixels } = await setup();
  const common = ['eval', 'svm', '--config', cfg, '--import', PARTS, '--train-data', dir];
  let r = selfsup([...common, '--baselines', '--costs', '1,10', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  assert.deepEqual(Object.keys(out.results).sort(), ['pixels', 'random', 'ssl']);
  // TestAlgo's normalisation: mean 127.5, std 64 (the order of the dimensions does not matter to a linear SVM).
  const feats = (split: string) => pixels[split].map((v) => v.slice(1).map((p) => (p - 127.5) / 64));
  const labels = (split: string) => pixels[split].map((v) => v[0]);
  const costs = [1, 10, ...Array.from({ length: 16 }, (_, i) => 0.5 ** (i + 4))];
  const ref = py<{ mAP: number; top1: number; costs: number[] }>(
    `${PY_SVM}
xtr, xte = norm(D['xtr']), norm(D['xte'])
ltr, lte = np.array(D['ltr']), np.array(D['lte'])
chosen, models = [], []
for c in range(2):
    y = np.where(ltr == c, 1, -1)
    s = [cross_val_score(svc(C), xtr, y, cv=3, scoring='average_precision').mean() for C in D['costs']]
    j = int(np.argmax(s)); chosen.append(D['costs'][j])
    models.append(svc(D['costs'][j]).fit(xtr, y))
mAP, top1, _ = test_scores(models, xte, lte, 2)
OUT = dict(mAP=mAP, top1=top1, costs=chosen)`,
    { xtr: feats('train'), ltr: labels('train'), xte: feats('test'), lte: labels('test'), costs },
  );
  const px = out.results.pixels.svm;
  assert.deepEqual(px.costs, ref.costs);
  assertClose([px.mAP, px.top1], [ref.mAP, ref.top1], 1e-6, 'pixel SVM mAP, top-1');
  for (const e of ['ssl', 'random']) assert.ok(out.results[e].svm.mAP >= 0 && out.results[e].svm.mAP <= 100);

  r = selfsup([...common, '--low-shot', '--shots', '1,2,8', '--samples', '2', '--costs', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ssl +k=1 +mAP/);
  assert.match(r.stdout, /ssl +k=2 +mAP/);
  assert.match(r.stderr, /k = 8 skipped: the smallest class has 6 training samples/);

  r = selfsup([...common, '--costs', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--costs: positive numbers/);
});

test('selfsup eval semi and --repeat: class-balanced label fractions, mean ± std over seeds', async () => {
  const { dir, cfg } = await setup();
  const base = ['--config', cfg, '--import', PARTS, '--train-data', dir];
  let r = selfsup([
    'eval',
    'semi',
    ...base,
    '--percent',
    '50,100',
    '--epochs',
    '1',
    '--batch-size',
    '4',
    '--baselines',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  let out = lastJson(r.stdout);
  assert.deepEqual(Object.keys(out.results).sort(), ['random', 'ssl']);
  assert.deepEqual(Object.keys(out.results.ssl), ['50%', '100%']);
  // 50 % of 6 per class = 3 per class.
  assert.equal(out.results.ssl['50%'].labelled, 6);
  assert.equal(out.results.ssl['100%'].labelled, 12);
  assert.ok(Number.isFinite(out.results.ssl['50%'].trainLoss[0]));

  // kNN is deterministic given the features: std 0; the linear probe's seed changes its initialisation and order.
  r = selfsup(['eval', 'knn', ...base, '--k', '3', '--repeat', '2', '--seed', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  out = lastJson(r.stdout);
  assert.deepEqual(out.seeds, [5, 6]);
  const k3 = out.results.ssl.knn['3'].top1;
  assert.equal(k3.runs.length, 2);
  assert.equal(k3.std, 0);
  r = selfsup(['eval', 'linear', ...base, '--epochs', '2', '--repeat', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const loss = lastJson(r.stdout).results.ssl.linear.trainLoss[0];
  const runs: number[] = loss.runs;
  const mean = runs.reduce((a, b) => a + b, 0) / 3;
  assertClose([loss.mean, loss.std], [mean, Math.sqrt(runs.reduce((a, b) => a + (b - mean) ** 2, 0) / 2)], 1e-12);
  assert.ok(loss.std > 0, 'different seeds, different probes');
});
