/**
 * MultiView's deferred path (crop on the host, the rest later on a batch, possibly on a GPU): the
 * views and masks must equal the whole path's, for every kind of pipeline it accepts — JS-memory
 * crops (tensor and Pillow backends), float crops (bicubic), no per-image step, masks, multi-output
 * steps, several pipelines — and pipelines with another per-image step are refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { Image } from '../../../src/data/image.js';
import { buildViews } from '../../../src/data/register.js';
import type { MultiView } from '../../../src/data/transforms/multi-view.js';
import { byolViews, simclrViews, simmimViews, swavViews } from '../../../src/engine/config/recipes.js';
import { maxAbsDiff } from '../../helpers.js';
import '../../../src/builtins.js';

function images(shapes: [number, number, 1 | 3][], seed: number): Image[] {
  const g = new torch.Generator().manualSeed(seed);
  return shapes.map(([h, w, c]) =>
    torch.tidy(() => {
      const t = torch.randint(0, 256, [h, w, c], { generator: g, dtype: 'uint8' });
      return { data: t.toBytes(), height: h, width: w, channels: c };
    }),
  );
}

/** Crops of `applyImagesDeferred` made whole by `finishDeferred`, as the loader does on its device. */
function deferred(mv: MultiView, imgs: Image[], seed: number, epoch: number, idxs: number[]) {
  const { heads, positions } = mv.applyImagesDeferred(imgs, seed, epoch, idxs);
  assert.equal(heads.length, mv.totalApplications);
  for (const p of positions) assert.equal(p.length, imgs.length);
  return mv.finishDeferred(
    heads.map((h) => torch.tensor(h.data, { shape: h.shape })),
    positions,
  );
}

function assertSame(got: Tensor[], want: Tensor[], what: string): void {
  assert.equal(got.length, want.length, `${what}: count`);
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i].shape, `${what} ${i}: shape`);
    assert.equal(g.dtype, want[i].dtype, `${what} ${i}: dtype`);
    assert.equal(maxAbsDiff(g.to('float32'), want[i].to('float32')), 0, `${what} ${i}`);
  });
}

test('deferred views (crop first, the rest on the batch later) equal the whole views, masks included', () => {
  const mixed = images(
    [
      [28, 30, 3],
      [41, 19, 3],
      [28, 30, 3],
      [33, 33, 3],
      [50, 22, 3],
    ],
    4,
  );
  const idxs = mixed.map((_, i) => 40 + i);
  const pipelines: [string, MultiView][] = [
    ['SimCLR (JS-memory crop, tensor kernels)', buildViews(simclrViews({ size: 20 }))],
    ['SimCLR, Pillow backend', buildViews(simclrViews({ size: 20, backend: 'pillow' }))],
    ['BYOL (two pipelines)', buildViews(byolViews({ size: 16 }))],
    ['SwAV (2 + 6 crops of two sizes)', buildViews(swavViews({ size: 20, smallSize: 10, numCrops: [2, 3] }))],
    ['SimMIM (a mask after the flip)', buildViews(simmimViews({ size: 16, maskPatchSize: 8, modelPatchSize: 4 }))],
    [
      'bicubic crop (float path) and solarize',
      buildViews({
        type: 'MultiView',
        numViews: 2,
        transforms: [
          [
            { type: 'RandomResizedCrop', size: 18, interpolation: 'bicubic' },
            { type: 'RandomSolarize', prob: 0.5 },
            { type: 'RandomGrayscale', prob: 0.5 },
          ],
        ],
      }),
    ],
    [
      'RotationPred (a multi-output step)',
      buildViews({
        type: 'MultiView',
        numViews: 1,
        transforms: [[{ type: 'RandomResizedCrop', size: 12 }, { type: 'RandomFlip' }, { type: 'RotationWithLabels' }]],
      }),
    ],
  ];
  for (const [name, mv] of pipelines) {
    assert.equal(mv.notDeferrable, null, name);
    torch.tidy(() => {
      for (const epoch of [0, 3]) {
        const whole = mv.applyImagesWithMasks(mixed, 9, epoch, idxs);
        const split = deferred(mv, mixed, 9, epoch, idxs);
        assertSame(split.views, whole.views, `${name}, epoch ${epoch}, view`);
        assertSame(split.masks, whole.masks, `${name}, epoch ${epoch}, mask`);
      }
    });
  }
});

test('a Pillow crop over grey and colour images runs per image, then is refused as the whole path refuses it', () => {
  const [colour] = images([[28, 30, 3]], 8);
  const grey = { ...colour, data: colour.data.subarray(0, 28 * 30), channels: 1 as const };
  const mv = buildViews({ ...simclrViews({ size: 20, backend: 'pillow' }), numViews: 1 });
  const refusal = /view 0 has images of different sizes \(3×20×20, 1×20×20\)/;
  assert.throws(() => mv.applyImagesWithMasks([colour, grey], 0, 0, [0, 1]), refusal);
  // The crops, not the decoded images, are what differ.
  assert.throws(() => mv.applyImagesDeferred([colour, grey], 0, 0, [0, 1]), refusal);
});

test('a pipeline without a per-image step defers for images of one size, and says so for others', () => {
  const mv = buildViews({
    type: 'MultiView',
    numViews: 2,
    transforms: [[{ type: 'RandomFlip' }, { type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }]],
  });
  assert.equal(mv.notDeferrable, null);
  const same = images(
    [
      [12, 14, 3],
      [12, 14, 3],
      [12, 14, 3],
    ],
    5,
  );
  torch.tidy(() => {
    const whole = mv.applyImagesWithMasks(same, 1, 0, [0, 1, 2]);
    assertSame(deferred(mv, same, 1, 0, [0, 1, 2]).views, whole.views, 'view');
  });
  const differ = images(
    [
      [12, 14, 3],
      [13, 14, 3],
    ],
    6,
  );
  assert.throws(() => mv.applyImagesDeferred(differ, 1, 0, [0, 1]), /view 0 has images of different sizes \(3×12×14, 3×13×14\)/);
});

test('pipelines with another per-image step are not deferrable, and finishDeferred checks what it is given', () => {
  const rotateFirst = buildViews({
    type: 'MultiView',
    numViews: 1,
    transforms: [
      [{ type: 'RandomResizedCrop', size: 16 }, { type: 'RandomRotation', degrees: 10, expand: true }, { type: 'RandomFlip' }],
    ],
  });
  assert.match(rotateFirst.notDeferrable ?? '', /pipeline 0's per-image steps are RandomResizedCrop, RandomRotation/);
  const imgs = images([[20, 20, 3]], 7);
  assert.throws(() => rotateFirst.applyImagesDeferred(imgs, 0, 0, [0]), /cannot augment on the device: pipeline 0/);

  const mv = buildViews(byolViews({ size: 8 }));
  torch.tidy(() => {
    const { heads, positions } = mv.applyImagesDeferred(imgs, 0, 0, [0]);
    const t = heads.map((h) => torch.tensor(h.data, { shape: h.shape }));
    assert.throws(() => mv.finishDeferred(t.slice(0, 1), positions.slice(0, 1)), /1 crop batches and 1 position lists for 2/);
    assert.throws(() => mv.finishDeferred(t, [positions[0], [1, 2]]), /crop batch 1 is \[1,3,8,8\] for 2 samples/);
  });
});
