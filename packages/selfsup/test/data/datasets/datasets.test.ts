import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cifar } from '../../../src/data/datasets/cifar.js';
import { ImageFolder } from '../../../src/data/datasets/image-folder.js';
import { ImageList } from '../../../src/data/datasets/image-list.js';
import { STL10 } from '../../../src/data/datasets/stl10.js';
import { py } from '../../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-ds-'));

test('ImageFolder: classes sorted as torchvision, labels, nested files; a flat folder is unlabeled', async () => {
  const root = join(dir, 'folder');
  const ref = py<{ classes: string[]; samples: [string, number][] }>(
    `from PIL import Image
import os, numpy as np, torchvision
root = D['root']
for c, names in {'zebra': ['b.png', 'a.png'], 'ant': ['x.jpg', 'sub/y.png'], 'Bee': ['z.png']}.items():
    for n in names:
        p = os.path.join(root, c, n); os.makedirs(os.path.dirname(p), exist_ok=True)
        Image.fromarray(np.full((4, 3, 3), len(n) * 20, np.uint8)).save(p)
open(os.path.join(root, 'ant', 'notes.txt'), 'w').write('not an image')
ds = torchvision.datasets.ImageFolder(root)
OUT = {'classes': ds.classes, 'samples': [[os.path.relpath(p, root), l] for p, l in ds.samples]}`,
    { root },
  );
  const ds = await ImageFolder.open(root);
  assert.deepEqual(ds.classes, ref.classes);
  assert.deepEqual(
    Array.from({ length: ds.length }, (_, i) => [ds.relativePath(i), ds.labels?.[i]]),
    ref.samples,
  );
  const s = await ds.get(0);
  assert.equal(s.label, ref.samples[0][1]);
  assert.deepEqual([s.img.height, s.img.width, s.img.channels], [4, 3, 3]);
  const flat = await ImageFolder.open(join(root, 'zebra'));
  assert.equal(flat.classes, undefined);
  assert.equal(flat.length, 2);
  assert.equal((await flat.get(1)).label, undefined);
  mkdirSync(join(root, 'empty'));
  await assert.rejects(ImageFolder.open(root), /no image files .* for classes empty/);
  await assert.rejects(ImageFolder.open(join(dir, 'nope')), /ImageFolder: cannot read .*nope/);
  await assert.rejects(ds.get(99), /index 99 out of range/);
});

test('ImageList: paths relative to the data prefix, with or without labels; malformed lists are refused', async () => {
  const root = join(dir, 'list');
  py(
    `from PIL import Image
import os, numpy as np
os.makedirs(os.path.join(D['root'], 'imgs'), exist_ok=True)
for i in range(3): Image.fromarray(np.full((2, 2, 3), i * 50, np.uint8)).save(os.path.join(D['root'], 'imgs', f'{i}.png'))
OUT = 0`,
    { root },
  );
  writeFileSync(join(root, 'train.txt'), 'imgs/0.png 2\nimgs/2.png 0\n\n');
  writeFileSync(join(root, 'unlabeled.txt'), 'imgs/1.png\n');
  writeFileSync(join(root, 'mixed.txt'), 'imgs/1.png 1\nimgs/2.png\n');
  const ds = await ImageList.open(join(root, 'train.txt'), { dataPrefix: root });
  assert.equal(ds.length, 2);
  const s = await ds.get(1);
  assert.equal(s.label, 0);
  assert.equal(s.img.data[0], 100);
  const u = await ImageList.open(join(root, 'unlabeled.txt'), { dataPrefix: root });
  assert.equal((await u.get(0)).label, undefined);
  await assert.rejects(ImageList.open(join(root, 'mixed.txt')), /mixed\.txt:2: some lines have a label and some do not/);
});

test('CIFAR-10/100 binary: from a folder and from a .tar.gz, planes interleaved to (32, 32, 3)', async () => {
  const ref = py<{ first: number[]; label: number; label100: number; pixel: number[] }>(
    `import os, tarfile, numpy as np
rng = np.random.RandomState(1)
def write10(d):
    os.makedirs(d, exist_ok=True)
    for name, n in [('data_batch_%d.bin' % i, 3) for i in range(1, 6)] + [('test_batch.bin', 2)]:
        recs = np.concatenate([rng.randint(0, 10, (n, 1)), rng.randint(0, 256, (n, 3072))], 1).astype(np.uint8)
        recs.tofile(os.path.join(d, name))
    open(os.path.join(d, 'batches.meta.txt'), 'w').write('\\n'.join(['airplane','automobile','bird','cat','deer','dog','frog','horse','ship','truck']) + '\\n')
root = D['root']; write10(os.path.join(root, 'cifar-10-batches-bin'))
with tarfile.open(os.path.join(root, 'cifar-10-binary.tar.gz'), 'w:gz') as t: t.add(os.path.join(root, 'cifar-10-batches-bin'), 'cifar-10-batches-bin')
b1 = np.fromfile(os.path.join(root, 'cifar-10-batches-bin', 'data_batch_2.bin'), np.uint8).reshape(-1, 3073)
img = b1[1, 1:].reshape(3, 32, 32).transpose(1, 2, 0)  # the 5th training image (3 per batch)
d100 = os.path.join(root, 'c100', 'cifar-100-binary'); os.makedirs(d100)
r = np.concatenate([rng.randint(0, 20, (4, 1)), rng.randint(0, 100, (4, 1)), rng.randint(0, 256, (4, 3072))], 1).astype(np.uint8)
r.tofile(os.path.join(d100, 'train.bin')); r[:1].tofile(os.path.join(d100, 'test.bin'))
open(os.path.join(d100, 'fine_label_names.txt'), 'w').write('\\n'.join('c%d' % i for i in range(100)))
OUT = {'first': img.reshape(-1)[:12].tolist(), 'label': int(b1[1, 0]), 'label100': int(r[2, 1]), 'pixel': img[31, 30].tolist()}`,
    { root: join(dir, 'cifar') },
  );
  for (const src of [join(dir, 'cifar'), join(dir, 'cifar', 'cifar-10-binary.tar.gz')]) {
    const ds = await cifar('cifar10', 'train', src);
    assert.equal(ds.length, 15);
    assert.equal(ds.classes?.[0], 'airplane');
    const s = await ds.get(4);
    assert.equal(s.label, ref.label);
    assert.deepEqual(Array.from(s.img.data.subarray(0, 12)), ref.first);
    assert.deepEqual(Array.from(s.img.data.subarray((31 * 32 + 30) * 3, (31 * 32 + 31) * 3)), ref.pixel);
    assert.equal((await cifar('cifar10', 'test', src)).length, 2);
  }
  const c100 = await cifar('cifar100', 'train', join(dir, 'cifar', 'c100'));
  assert.equal((await c100.get(2)).label, ref.label100, 'the fine label');
  writeFileSync(join(dir, 'cifar', 'cifar-10-batches-bin', 'test_batch.bin'), Buffer.alloc(3073 + 10));
  await assert.rejects(cifar('cifar10', 'test', join(dir, 'cifar')), /not a whole number of 3073-byte records/);
  await assert.rejects(cifar('cifar10', 'train', join(dir, 'nothing')), /does not exist/);
});

test('STL-10 binary: column-major planes become upright (96, 96, 3) images, labels 1..10 → 0..9', async () => {
  const root = join(dir, 'stl');
  const ref = py<{ pixels: number[][]; label: number }>(
    `import os, numpy as np
d = os.path.join(D['root'], 'stl10_binary'); os.makedirs(d)
rng = np.random.RandomState(2)
x = rng.randint(0, 256, (3, 3, 96, 96)).astype(np.uint8); x.tofile(os.path.join(d, 'train_X.bin'))
np.array([3, 10, 1], np.uint8).tofile(os.path.join(d, 'train_y.bin'))
# torchvision's STL10: reshape (-1, 3, 96, 96) then transpose (0, 1, 3, 2) gives CHW upright images.
img = np.transpose(x.reshape(-1, 3, 96, 96), (0, 1, 3, 2))[1].transpose(1, 2, 0)
OUT = {'pixels': [img[0, 0].tolist(), img[5, 70].tolist(), img[95, 1].tolist()], 'label': 9}`,
    { root },
  );
  const ds = STL10.open(root, 'train');
  assert.equal(ds.length, 3);
  const s = await ds.get(1);
  assert.equal(s.label, ref.label);
  const px = (y: number, x: number) => Array.from(s.img.data.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3));
  assert.deepEqual([px(0, 0), px(5, 70), px(95, 1)], ref.pixels);
  ds.close();
  assert.throws(() => STL10.open(root, 'unlabeled'), /unlabeled_X\.bin is missing/);
});

test('CIFAR python format (pickled numpy arrays): folder and tar.gz, CIFAR-10 and CIFAR-100', async () => {
  const root = join(dir, 'cifar-py');
  const ref = py<{ pixel: number[]; label: number; fine: number }>(
    `import os, pickle, tarfile, numpy as np
rng = np.random.RandomState(5)
d = os.path.join(D['root'], 'cifar-10-batches-py'); os.makedirs(d)
for name, n in [('data_batch_%d' % i, 2) for i in range(1, 6)] + [('test_batch', 3)]:
    pickle.dump({'batch_label': name, 'labels': rng.randint(0, 10, n).tolist(), 'data': rng.randint(0, 256, (n, 3072)).astype(np.uint8), 'filenames': ['f'] * n}, open(os.path.join(d, name), 'wb'), protocol=2)
pickle.dump({'label_names': ['c%d' % i for i in range(10)], 'num_vis': 3072}, open(os.path.join(d, 'batches.meta'), 'wb'), protocol=2)
with tarfile.open(os.path.join(D['root'], 'cifar-10-python.tar.gz'), 'w:gz') as t: t.add(d, 'cifar-10-batches-py')
b = pickle.load(open(os.path.join(d, 'data_batch_3'), 'rb'))
img = b['data'][1].reshape(3, 32, 32).transpose(1, 2, 0)
d100 = os.path.join(D['root'], 'c100', 'cifar-100-python'); os.makedirs(d100)
tr = {'fine_labels': [7, 99, 3], 'coarse_labels': [1, 2, 3], 'data': rng.randint(0, 256, (3, 3072)).astype(np.uint8)}
pickle.dump(tr, open(os.path.join(d100, 'train'), 'wb')); pickle.dump(tr, open(os.path.join(d100, 'test'), 'wb'))
pickle.dump({'fine_label_names': ['f%d' % i for i in range(100)], 'coarse_label_names': ['c%d' % i for i in range(20)]}, open(os.path.join(d100, 'meta'), 'wb'))
OUT = {'pixel': img[17, 3].tolist(), 'label': int(b['labels'][1]), 'fine': 99}`,
    { root },
  );
  for (const src of [root, join(root, 'cifar-10-python.tar.gz')]) {
    const ds = await cifar('cifar10', 'train', src);
    assert.equal(ds.length, 10);
    assert.equal(ds.classes?.[9], 'c9');
    const s = await ds.get(5); // data_batch_3, row 1
    assert.equal(s.label, ref.label);
    assert.deepEqual(Array.from(s.img.data.subarray((17 * 32 + 3) * 3, (17 * 32 + 3) * 3 + 3)), ref.pixel);
  }
  const c100 = await cifar('cifar100', 'train', join(root, 'c100'));
  assert.equal((await c100.get(1)).label, ref.fine);
});

test('Python 2 strings in pickles keep their bytes (not windows-1252)', async () => {
  const { unpickle } = await import('@selfsup/torch');
  // PROTO 2, SHORT_BINSTRING of bytes 0x80 0x9f 0xff, STOP.
  const v = unpickle(Uint8Array.from([0x80, 0x02, 0x55, 0x03, 0x80, 0x9f, 0xff, 0x2e]), {
    source: 'test',
    resolve: () => undefined,
  }) as string;
  assert.deepEqual(
    Array.from(v, (c) => c.charCodeAt(0)),
    [0x80, 0x9f, 0xff],
  );
});
