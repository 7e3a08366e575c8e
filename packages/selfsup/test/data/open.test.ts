import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/datasets/base.js';
import { ImageArchive } from '../../src/data/datasets/image-archive.js';
import { ImageFolder } from '../../src/data/datasets/image-folder.js';
import { MANIFEST, openDataset } from '../../src/data/open.js';
import { py } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-open-'));

/** Every dataset format, made by Python; torchvision's view of the image folder as reference. */
const ref = py<{ classes: string[]; samples: [string, number][]; pixel: number[]; cifarLabel: number }>(
  `from PIL import Image
import os, io, pickle, tarfile, numpy as np, torchvision
root = D['root']; rng = np.random.RandomState(0)
def img(p, h, w):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    Image.fromarray(rng.randint(0, 256, (h, w, 3), dtype=np.uint8)).save(p)
for c, names in {'dog': ['b.png', 'a.png', 'deep/c.png'], 'cat': ['z.png'], 'Ant': ['q.png', 'r.png']}.items():
    for n in names: img(os.path.join(root, 'folder', c, n), 5, 4)
for n in ['x.png', 'sub/y.png', 'sub/deeper/z.png']: img(os.path.join(root, 'flat', n), 3, 3)
for s, k in [('train', 3), ('val', 2)]:
    for i in range(k): img(os.path.join(root, 'splits', s, 'c%d' % (i % 2), '%d.png' % i), 4, 4)
os.makedirs(os.path.join(root, 'list'))
open(os.path.join(root, 'list', 'train.txt'), 'w').write('../folder/cat/z.png 4\\n../folder/dog/b.png 1\\n')
for name, mode in [('images.tar', 'w'), ('images.tar.gz', 'w:gz')]:
    with tarfile.open(os.path.join(root, name), mode) as t: t.add(os.path.join(root, 'folder'), 'pets/train')
d = os.path.join(root, 'cifar-py', 'cifar-10-batches-py'); os.makedirs(d)
for name, n in [('data_batch_%d' % i, 2) for i in range(1, 6)] + [('test_batch', 3)]:
    pickle.dump({'labels': rng.randint(0, 10, n).tolist(), 'data': rng.randint(0, 256, (n, 3072)).astype(np.uint8)}, open(os.path.join(d, name), 'wb'))
pickle.dump({'label_names': ['c%d' % i for i in range(10)]}, open(os.path.join(d, 'batches.meta'), 'wb'))
with tarfile.open(os.path.join(root, 'cifar-10-python.tar.gz'), 'w:gz') as t: t.add(d, 'cifar-10-batches-py')
d100 = os.path.join(root, 'c100', 'cifar-100-binary'); os.makedirs(d100)
r = np.concatenate([rng.randint(0, 20, (4, 1)), rng.randint(0, 100, (4, 1)), rng.randint(0, 256, (4, 3072))], 1).astype(np.uint8)
r.tofile(os.path.join(d100, 'train.bin')); r[:1].tofile(os.path.join(d100, 'test.bin'))
open(os.path.join(d100, 'fine_label_names.txt'), 'w').write('\\n'.join('f%d' % i for i in range(100)))
import gzip, struct
def idx(p, arr):
    with gzip.open(p, 'wb') as f: f.write(struct.pack('>HBB', 0, 8, arr.ndim) + struct.pack('>%dI' % arr.ndim, *arr.shape) + arr.tobytes())
for sub in ['mnist', 'my-fashion-mnist']:
    os.makedirs(os.path.join(root, sub))
    for p, n in [('train', 6), ('t10k', 3)]:
        idx(os.path.join(root, sub, '%s-images-idx3-ubyte.gz' % p), rng.randint(0, 256, (n, 28, 28)).astype(np.uint8))
        idx(os.path.join(root, sub, '%s-labels-idx1-ubyte.gz' % p), np.arange(n, dtype=np.uint8))
s = os.path.join(root, 'stl', 'stl10_binary'); os.makedirs(s)
rng.randint(0, 256, (2, 3, 96, 96)).astype(np.uint8).tofile(os.path.join(s, 'train_X.bin'))
np.array([1, 10], np.uint8).tofile(os.path.join(s, 'train_y.bin'))
rng.randint(0, 256, (5, 3, 96, 96)).astype(np.uint8).tofile(os.path.join(s, 'unlabeled_X.bin'))
open(os.path.join(root, 'notes.csv'), 'w').write('a,b')
ds = torchvision.datasets.ImageFolder(os.path.join(root, 'folder'))
b = pickle.load(open(os.path.join(d, 'data_batch_2'), 'rb'))
OUT = {'classes': ds.classes, 'samples': [[os.path.relpath(p, os.path.join(root, 'folder')), l] for p, l in ds.samples],
       'pixel': np.array(ds[3][0])[4, 3].tolist(), 'cifarLabel': int(b['labels'][1])}`,
  { root: dir },
);

async function labels(ds: Dataset): Promise<(number | undefined)[]> {
  return Promise.all(Array.from({ length: ds.length }, async (_, i) => (await ds.get(i)).label));
}

test('openDataset: image folders (labelled, flat, split sub-folders), image lists and archives of images', async () => {
  const folder = await openDataset(join(dir, 'folder'));
  assert.ok(folder instanceof ImageFolder);
  assert.deepEqual(folder.classes, ref.classes);
  assert.deepEqual(
    Array.from({ length: folder.length }, (_, i) => [(folder as ImageFolder).relativePath(i), folder.labels?.[i]]),
    ref.samples,
  );
  // A decoded cache and the first n samples: the same images, read from the cache.
  const cached = await openDataset({ path: join(dir, 'folder'), cacheDir: join(dir, 'cache'), numSamples: 3 });
  assert.match(cached.describe(), /^Subset\(3 of Cached\(ImageFolder/);
  for (let i = 0; i < 3; i++) assert.deepEqual((await cached.get(i)).img.data, (await folder.get(i)).img.data);
  await assert.rejects(
    openDataset({ path: join(dir, 'cifar-py'), cacheDir: join(dir, 'cache') }),
    /a decoded cache is for image folders and lists/,
  );
  await assert.rejects(openDataset({ path: join(dir, 'flat'), numSamples: 4 }), /flat: 4 samples asked of 3/);
  const flat = await openDataset(join(dir, 'flat'));
  assert.deepEqual([flat.length, flat.labels, flat.classes], [3, null, undefined]);
  const train = await openDataset(join(dir, 'splits'));
  const val = await openDataset({ path: join(dir, 'splits'), split: 'val' });
  assert.deepEqual([train.length, val.length, val.classes], [3, 2, ['c0', 'c1']]);
  await assert.rejects(
    openDataset({ path: join(dir, 'splits'), split: 'test' }),
    /splits: no 'test' split \(it has train, val\)/,
  );
  await assert.rejects(openDataset({ path: join(dir, 'flat'), split: 'test' }), /flat: an image folder has no 'test' split/);
  const list = await openDataset(join(dir, 'list', 'train.txt'));
  assert.deepEqual(await labels(list), [4, 1]);
  assert.deepEqual([(await list.get(0)).img.height, (await list.get(0)).img.width], [5, 4]);
  for (const name of ['images.tar', 'images.tar.gz']) {
    const ar = await openDataset(join(dir, name));
    assert.ok(ar instanceof ImageArchive, name);
    assert.deepEqual(ar.classes, ref.classes, name);
    assert.deepEqual(
      Array.from({ length: ar.length }, (_, i) => [
        (ar as ImageArchive).memberName(i).replace('pets/train/', ''),
        ar.labels?.[i],
      ]),
      ref.samples,
      `${name}: ImageFolder's order and labels`,
    );
    const px = (await ar.get(3)).img.data;
    assert.deepEqual(Array.from(px.subarray((4 * 4 + 3) * 3, (4 * 4 + 3) * 3 + 3)), ref.pixel, `${name}: decoded pixels`);
    (ar as ImageArchive).close();
  }
});

test('openDataset: CIFAR, MNIST, Fashion-MNIST, STL-10 and the prepare manifest; errors name the path', async () => {
  for (const p of [join(dir, 'cifar-10-python.tar.gz'), join(dir, 'cifar-py')]) {
    const c = await openDataset(p);
    assert.match(c.describe(), /^CIFAR10:train\(10 images 32×32×3, 10 classes\)/, p);
    assert.equal((await c.get(3)).label, ref.cifarLabel);
    assert.equal((await openDataset({ path: p, split: 'test' })).length, 3);
  }
  await assert.rejects(
    openDataset({ path: join(dir, 'cifar-py'), split: 'val' }),
    /cifar-py: cifar10 has the splits train and test, not 'val'/,
  );
  const c100 = await openDataset(join(dir, 'c100'));
  assert.deepEqual([c100.length, c100.classes?.length], [4, 100]);
  const m = await openDataset(join(dir, 'mnist'));
  assert.deepEqual([m.length, m.classes?.[3], (await m.get(5)).label], [6, '3', 5]);
  const fm = await openDataset({ path: join(dir, 'my-fashion-mnist'), split: 'test' });
  assert.deepEqual([fm.length, fm.classes?.[0]], [3, 'T-shirt/top']);
  const stl = await openDataset(join(dir, 'stl'));
  assert.deepEqual(await labels(stl), [0, 9]);
  assert.equal((await openDataset({ path: join(dir, 'stl'), split: 'unlabeled' })).labels, null);
  // A manifest names the format: the MNIST files read as Fashion-MNIST.
  writeFileSync(join(dir, 'mnist', MANIFEST), JSON.stringify({ format: 'fashion-mnist' }));
  assert.equal((await openDataset(join(dir, 'mnist'))).classes?.[9], 'Ankle boot');
  writeFileSync(join(dir, 'mnist', MANIFEST), JSON.stringify({ format: 'parquet' }));
  await assert.rejects(openDataset(join(dir, 'mnist')), /selfsup-dataset\.json: unknown format "parquet"/);
  await assert.rejects(openDataset(join(dir, 'missing')), /missing: no such file or directory/);
  await assert.rejects(openDataset(join(dir, 'notes.csv')), /notes\.csv: cannot tell what dataset this is/);
  await assert.rejects(openDataset(join(dir, 'flat', 'x.png')), /x\.png: a single image is not a dataset/);
});
