import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import * as T from '../../../src/data/transforms/functional.js';
import { MultiView } from '../../../src/data/transforms/multi-view.js';
import { RandomResizedCrop } from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { maxAbsDiff, py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

/** `edgeImage` as a `(C, H, W)` uint8 tensor. */
function image(c: number, h: number, w: number, seed: number): torch.Tensor {
  return torch.tensor(edgeImage(c, h, w, seed), { shape: [c, h, w] });
}

const FILTERS = ['bilinear', 'bicubic', 'lanczos'] as const;

test("Pillow's resampling: resize equals PIL's Image.resize byte for byte (bilinear, bicubic, lanczos; down, up, one axis, grey)", () => {
  const cases: [number, number, number, [number, number]][] = [
    [3, 37, 53, [16, 20]],
    [3, 23, 17, [50, 71]],
    [3, 40, 33, [40, 12]],
    [1, 29, 31, [9, 64]],
  ];
  const imgs = cases.map(([c, h, w], k) => image(c, h, w, k + 1));
  const ref = py<Record<string, number[][][][]>>(
    `import numpy as np
from PIL import Image
OUT = {}
for name, f in [('bilinear', Image.BILINEAR), ('bicubic', Image.BICUBIC), ('lanczos', Image.LANCZOS)]:
    OUT[name] = []
    for img, size in zip(D['imgs'], D['sizes']):
        a = np.array(img, dtype=np.uint8)
        pil = Image.fromarray(a[0]) if a.shape[0] == 1 else Image.fromarray(a.transpose(1, 2, 0))
        r = np.asarray(pil.resize((size[1], size[0]), f))
        OUT[name].append((r[None] if r.ndim == 2 else r.transpose(2, 0, 1)).tolist())`,
    { imgs: imgs.map((t) => t.toList()), sizes: cases.map((c) => c[3]) },
  );
  for (const f of FILTERS)
    cases.forEach((c, k) => {
      const out = T.resize(imgs[k], c[3], { interpolation: f, backend: 'pillow' });
      assert.deepEqual(out.shape, [c[0], ...c[3]]);
      assert.equal(maxAbsDiff(out, ref[f][k]), 0, `${f}, case ${k}: ${c}`);
    });
  // lanczos is always Pillow's; the tensor backend's bilinear is libtorch's (a different result).
  assert.equal(maxAbsDiff(T.resize(imgs[0], [16, 20], { interpolation: 'lanczos' }), ref.lanczos[0]), 0);
  assert.ok(maxAbsDiff(T.resize(imgs[0], [16, 20], { interpolation: 'bilinear', antialias: true }), ref.bilinear[0]) > 0);
  assert.throws(() => T.resize(imgs[0].float(), [8, 8], { interpolation: 'lanczos' }), /works on uint8 images, got float32/);
  assert.throws(() => T.resize(imgs[0], [8, 8], { interpolation: 'nearest', backend: 'pillow' }), /not nearest/);
});

test("RandomResizedCrop with Pillow's resampling equals torchvision's PIL resized_crop, on the tensor and the loader's JS path", () => {
  const img = image(3, 48, 64, 9);
  const crops = [
    new RandomResizedCrop(24, { interpolation: 'lanczos', scale: [0.2, 1] }),
    new RandomResizedCrop(24, { backend: 'pillow', scale: [0.2, 1] }),
  ];
  for (const crop of crops) {
    const boxes = [0, 1, 2].map((s) => crop.getParams(48, 64, new Rng(s)));
    const ref = py<number[][][][]>(
      `import numpy as np
from PIL import Image
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode
pil = Image.fromarray(np.array(D['img'], dtype=np.uint8).transpose(1, 2, 0))
mode = InterpolationMode.LANCZOS if D['mode'] == 'lanczos' else InterpolationMode.BILINEAR
OUT = [np.asarray(TF.resized_crop(pil, *b, [24, 24], mode)).transpose(2, 0, 1).tolist() for b in D['boxes']]`,
      { img: img.toList(), boxes, mode: crop.o.interpolation ?? 'bilinear' },
    );
    for (let s = 0; s < boxes.length; s++) assert.equal(maxAbsDiff(crop.apply(img, new Rng(s)), ref[s]), 0, `seed ${s}`);
    // The loader's path (decoded (H, W, C) bytes, crops written in JS) gives the same views.
    const views = new MultiView([[crop]], 2);
    const hwc = { data: img.permute(1, 2, 0).contiguous().toBytes(), height: 48, width: 64, channels: 3 as const };
    const fast = views.applyImagesWithMasks([hwc, hwc], 5, 1, [3, 4]);
    const slow = views.applyBatch([img, img], 5, 1, [3, 4]);
    for (let v = 0; v < 2; v++) assert.equal(maxAbsDiff(fast.views[v], slow[v]), 0);
  }
  assert.throws(() => new RandomResizedCrop(8, { interpolation: 'nearest', backend: 'pillow' }), /not nearest/);
});
