/**
 * `selfsup extract` records where each feature row came from: safetensors `__metadata__` `paths`
 * and `classes` (JSON), `.npy` a `.csv` beside it. Python reads them back (the safetensors header
 * parsed by hand, the CSV with its csv module) and checks them against its own listing of the image
 * folder (torchvision's ImageFolder order) and each row's features against the image at its path.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { py } from '../helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));

function selfsup(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop() as string);

test('extract: safetensors metadata and the .npy CSV name each row’s file and class', async () => {
  const work = mkdtempSync(join(tmpdir(), 'selfsup-extract-'));
  const data = join(work, 'data');
  // A comma and a quote in names exercise the CSV quoting.
  const files: Record<string, string[]> = { 'bird, small': ['b.png', 'a"1.png'], cat: ['z.png', '0.png', 'm.png'] };
  let v = 0;
  for (const [cls, names] of Object.entries(files)) {
    mkdirSync(join(data, cls), { recursive: true });
    for (const n of names) {
      const px = Array.from({ length: 4 * 4 * 3 }, (_, k) => (v * 37 + k * 11) % 256);
      v++;
      await sharp(Buffer.from(px), { raw: { width: 4, height: 4, channels: 3 } })
        .png()
        .toFile(join(data, cls, n));
    }
  }
  const st = join(work, 'f.safetensors');
  let r = selfsup(['extract', '--pixels', '--data', data, '--out', st, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout).files, [st]);
  const npy = join(work, 'g.npy');
  r = selfsup(['extract', '--pixels', '--data', data, '--limit', '3', '--out', npy, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout).files, [npy, join(work, 'g.labels.npy'), join(work, 'g.csv')]);

  const got = py<{ problems: string[]; st_rows: number; csv_rows: number }>(
    `import os, csv
import numpy as np
from PIL import Image
root = D['data']
classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
listing = {os.path.join(root, c, f): i for i, c in enumerate(classes) for f in sorted(os.listdir(os.path.join(root, c)))}
order = list(listing)
problems = []
def pixels(path):
    a = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64)
    return ((a.transpose(2, 0, 1).reshape(-1) - 127.5) / 127.5)
def check_row(where, path, label, feats):
    if path not in listing: problems.append(f'{where}: {path} is not in the folder'); return
    if listing[path] != label: problems.append(f'{where}: {path} labelled {label}, folder says {listing[path]}')
    if np.abs(pixels(path) - feats).max() > 1e-6: problems.append(f'{where}: features are not those of {path}')

with open(D['st'], 'rb') as fh: raw = fh.read()
n = int.from_bytes(raw[:8], 'little'); header = json.loads(raw[8:8 + n]); body = raw[8 + n:]
meta = header['__metadata__']
paths = json.loads(meta['paths'])
if json.loads(meta['classes']) != classes: problems.append(f"classes {meta['classes']} != {classes}")
if paths != order: problems.append(f'safetensors paths {paths} != listing {order}')
def tensor(name, dtype):
    a, b = header[name]['data_offsets']
    return torch.frombuffer(bytearray(body[a:b]), dtype=dtype).reshape(header[name]['shape']).numpy()
F = tensor('features', torch.float32); L = tensor('labels', torch.int64)
for i, p in enumerate(paths): check_row(f'safetensors row {i}', p, int(L[i]), F[i])

F = np.load(D['npy']); L = np.load(D['labels'])
with open(D['csv'], newline='') as fh: rows = list(csv.reader(fh))
if rows[0] != ['index', 'path', 'label', 'class']: problems.append(f'csv header {rows[0]}')
for i, (idx, p, label, cls) in enumerate(rows[1:]):
    if int(idx) != i or int(label) != int(L[i]) or cls != classes[int(label)]: problems.append(f'csv row {i}: {rows[i + 1]}')
    check_row(f'npy row {i}', p, int(label), F[i])
OUT = {'problems': problems, 'st_rows': len(paths), 'csv_rows': len(rows) - 1}`,
    { data, st, npy, labels: join(work, 'g.labels.npy'), csv: join(work, 'g.csv') },
  );
  assert.deepEqual(got.problems, []);
  assert.equal(got.st_rows, 5);
  assert.equal(got.csv_rows, 3);
});
