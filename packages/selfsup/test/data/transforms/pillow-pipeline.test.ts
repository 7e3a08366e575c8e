import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { buildViews } from '../../../src/data/register.js';
import { RandomGaussianBlur } from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { ConfigError } from '../../../src/core/schema.js';
import { maxAbsDiff, py } from '../../helpers.js';
import { TRANSFORMS } from '../../../src/data/registries.js';
import '../../../src/builtins.js';

/** A seeded `(C, H, W)` uint8 image with smooth gradients and noise. */
function image(h: number, w: number, seed: number): torch.Tensor {
  const data = new Uint8Array(3 * h * w);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const p = i % (h * w);
    data[i] = ((p % w) * 5 + Math.floor(p / w) * 3 + (x >>> 27)) & 255;
  }
  return torch.tensor(data, { shape: [3, h, w] });
}

test("RandomGaussianBlur { backend: 'pillow' } is PIL's GaussianBlur(radius=σ) with σ drawn after the coin, per image and batched", () => {
  const blur = new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 1, backend: 'pillow' });
  const img = image(21, 26, 3);
  // The draw order: the coin, then σ ~ U[sigmaMin, sigmaMax].
  const sigmas = [0, 1, 2].map((s) => {
    const r = new Rng(s);
    r.random();
    return r.uniform(0.1, 2);
  });
  const ref = py<number[][]>(
    `import numpy as np
from PIL import Image, ImageFilter
pil = Image.fromarray(np.array(D['img'], dtype=np.uint8).transpose(1, 2, 0))
OUT = [np.asarray(pil.filter(ImageFilter.GaussianBlur(s))).transpose(2, 0, 1).reshape(-1).tolist() for s in D['sigmas']]`,
    { img: img.toList(), sigmas },
  );
  const { applyBatch } = blur;
  assert.ok(applyBatch, 'the blur has a batch kernel');
  const batch = applyBatch(
    torch.stack([img, img, img]),
    [0, 1, 2].map((s) => new Rng(s)),
  );
  sigmas.forEach((_, s) => {
    assert.equal(maxAbsDiff(blur.apply(img, new Rng(s)).flatten(), ref[s]), 0, `seed ${s}`);
    assert.equal(maxAbsDiff(batch.select(0, s).flatten(), ref[s]), 0, `batch row ${s}`);
  });
  assert.ok(maxAbsDiff(img.flatten(), ref[2]) > 10, 'the blur changed the image');
  // Never applied with prob 0.
  const none = new RandomGaussianBlur({ sigmaMin: 0.1, sigmaMax: 2, prob: 0, backend: 'pillow' });
  assert.equal(none.apply(img, new Rng(0)), img);
  assert.throws(
    () =>
      TRANSFORMS.build(
        { type: 'RandomGaussianBlur', sigmaMin: 0.1, sigmaMax: 2, kernelSize: 5, backend: 'pillow' },
        'pipeline.4',
      ),
    (e: unknown) => e instanceof ConfigError && /pipeline\.4\.kernelSize/.test(e.message),
  );
});

test("MMSelfSup's SimCLR view with every backend 'pillow': the loader's bytes path, the batch path and the per-image path agree", () => {
  const view = [
    { type: 'RandomResizedCrop', size: 40, scale: [0.08, 1], backend: 'pillow' },
    { type: 'RandomFlip', prob: 0.5 },
    {
      type: 'RandomApply',
      transforms: [{ type: 'ColorJitter', brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, backend: 'pillow' }],
      prob: 0.8,
    },
    { type: 'RandomGrayscale', prob: 0.2, backend: 'pillow' },
    { type: 'RandomGaussianBlur', sigmaMin: 0.1, sigmaMax: 2, prob: 0.5, backend: 'pillow' },
    { type: 'RandomSolarize', prob: 0.2 },
  ];
  const views = buildViews({ type: 'MultiView', numViews: [2], transforms: [view] }, 'pipeline');
  const imgs = [image(48, 64, 1), image(50, 45, 2), image(64, 64, 3), image(48, 64, 4), image(52, 61, 5), image(70, 33, 6)];
  const idxs = [10, 11, 12, 13, 14, 15];
  const hwc = imgs.map((t) => ({
    data: t.permute(1, 2, 0).contiguous().toBytes(),
    height: t.shape[1],
    width: t.shape[2],
    channels: 3 as const,
  }));
  const fast = views.applyImagesWithMasks(hwc, 7, 2, idxs);
  const batched = views.applyBatch(imgs, 7, 2, idxs);
  for (let v = 0; v < 2; v++) {
    assert.deepEqual(fast.views[v].shape, [6, 3, 40, 40]);
    assert.equal(maxAbsDiff(fast.views[v], batched[v]), 0, `view ${v}: bytes vs batch`);
  }
  imgs.forEach((img, j) => {
    const one = views.apply(img, 7, 2, idxs[j]);
    for (let v = 0; v < 2; v++) assert.equal(maxAbsDiff(one[v], batched[v].select(0, j)), 0, `image ${j} view ${v}`);
  });
  // The two views of an image differ (independent draws), and the views are not the plain resize.
  assert.ok(maxAbsDiff(batched[0], batched[1]) > 0);
  // What loader workers send: the same bytes, computed without libtorch (every step has a bytes
  // form)…
  const packed = views.applyImagesPacked(hwc, 7, 2, idxs);
  assert.equal(packed.views.length, 2);
  assert.equal(packed.masks.length, 0);
  for (let v = 0; v < 2; v++) {
    assert.deepEqual(packed.views[v].shape, [6, 3, 40, 40]);
    assert.deepEqual(packed.views[v].data, fast.views[v].contiguous().toBytes(), `packed view ${v}`);
  }
  // …and, with a step that has none (a mask generator), the tensors' bytes.
  const masked = buildViews(
    {
      type: 'MultiView',
      numViews: [1],
      transforms: [
        [...view, { type: 'SimMIMMaskGenerator', inputSize: 40, maskPatchSize: 20, modelPatchSize: 4, maskRatio: 0.5 }],
      ],
    },
    'pipeline',
  );
  const withMask = masked.applyImagesWithMasks(hwc, 7, 2, idxs);
  const packedMask = masked.applyImagesPacked(hwc, 7, 2, idxs);
  assert.deepEqual(packedMask.views[0].data, withMask.views[0].contiguous().toBytes());
  assert.deepEqual(packedMask.views[0].data, packed.views[0].data, 'the mask is drawn after the image steps');
  assert.deepEqual(packedMask.masks[0].shape, [6, 10, 10]);
  assert.deepEqual(packedMask.masks[0].data, withMask.masks[0].to('uint8').contiguous().toBytes());
});

test("MAE's fine-tuning view (bicubic Pillow crop, flip, RandAugment, RandomErasing): the loader's bytes path, the batch path and the per-image path agree", () => {
  const view = [
    { type: 'RandomResizedCrop', size: 32, interpolation: 'bicubic', backend: 'pillow' },
    { type: 'RandomFlip', prob: 0.5 },
    {
      type: 'RandAugment',
      numPolicies: 2,
      magnitudeLevel: 9,
      magnitudeStd: 0.5,
      hparams: { padVal: [124, 116, 104], interpolation: 'bicubic' },
    },
    {
      type: 'RandomErasing',
      eraseProb: 0.25,
      mode: 'rand',
      minAreaRatio: 0.02,
      maxAreaRatio: 1 / 3,
      fillColor: [123.675, 116.28, 103.53],
      fillStd: [58.395, 57.12, 57.375],
    },
  ];
  const views = buildViews(view, 'pipeline');
  const imgs = [image(48, 64, 1), image(50, 45, 2), image(64, 64, 3), image(40, 52, 4), image(52, 61, 5), image(70, 33, 6)];
  const idxs = [3, 1, 4, 1, 5, 9];
  const hwc = imgs.map((t) => ({
    data: t.permute(1, 2, 0).contiguous().toBytes(),
    height: t.shape[1],
    width: t.shape[2],
    channels: 3 as const,
  }));
  const packed = views.applyImagesPacked(hwc, 2, 0, idxs);
  const batched = views.applyBatch(imgs, 2, 0, idxs);
  assert.deepEqual(packed.views[0].shape, [6, 3, 32, 32]);
  assert.deepEqual(packed.views[0].data, batched[0].contiguous().toBytes(), 'bytes path vs batch path');
  imgs.forEach((img, j) => {
    const [one] = views.apply(img, 2, 0, idxs[j]);
    assert.equal(maxAbsDiff(one, batched[0].select(0, j)), 0, `image ${j}`);
  });
});
