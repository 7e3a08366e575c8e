import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ArrayDataset } from '../../../src/data/datasets/array-dataset.js';
import { DataLoader } from '../../../src/data/loader/loader.js';
import { Normalize, Pad, ToTensor } from '../../../src/data/transforms/basic.js';
import { RandomPatchWithLabels, RotationWithLabels } from '../../../src/data/transforms/labels.js';
import { BEiTMaskGenerator, SimMIMMaskGenerator } from '../../../src/data/transforms/masks.js';
import { buildPipeline, buildViews } from '../../../src/data/register.js';
import { MultiView } from '../../../src/data/transforms/multi-view.js';
import { beitV2Views, simmimViews } from '../../../src/engine/config/recipes.js';
import '../../../src/builtins.js';
import { ColorJitter, RandomFlip, RandomResizedCrop, Resize, type Transform } from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { RandomResizedCropAndInterpolationWithTwoPic } from '../../../src/data/transforms/two-pic.js';
import { maxAbsDiff, py } from '../../helpers.js';

const img = () =>
  torch.tidy(() => torch.randint(0, 256, [3, 75, 78], { generator: new torch.Generator().manualSeed(5), dtype: 'uint8' }));

test('Pad, ToTensor + Normalize, Resize (shorter edge), TwoPic and RandomPatchWithLabels match torchvision / MMSelfSup', () => {
  torch.tidy(() => {
    const u = img();
    const twoPic = new RandomResizedCropAndInterpolationWithTwoPic(24, {
      secondSize: [10, 12],
      scale: [0.2, 1],
      interpolation: 'bicubic',
      secondInterpolation: 'bilinear',
    });
    const box = twoPic.getParams(75, 78, new Rng(3)).box;
    const patches = new RandomPatchWithLabels({ jitter: 5 });
    const boxes = patches.getParams(75, 78, new Rng(4));
    // MMSelfSup's RandomPatchWithLabels with the same in-cell offsets: cells ⌊75/3⌋ × ⌊78/3⌋ = 25 × 26,
    // patches 20 × 21; the centre patch first, then the 8 neighbours in grid order.
    const ref = py<Record<string, number[]>>(
      `import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode as IM
u = torch.tensor(D['img'], dtype=torch.uint8)
R = {}
R['pad_const'] = TF.pad(u, [1, 2, 3, 4], fill=7)
R['pad_edge'] = TF.pad(u, [2, 3], padding_mode='edge')
R['pad_reflect'] = TF.pad(u, 3, padding_mode='reflect')
R['pad_sym'] = TF.pad(u, [4, 1, 2, 5], padding_mode='symmetric')
R['normalize'] = TF.normalize(TF.convert_image_dtype(u, torch.float), [0.4, 0.5, 0.6], [0.2, 0.25, 0.3])
R['resize_short'] = TF.resize(u[:, :, :50], 17, antialias=True)
R['resize_max'] = TF.resize(u[:, :, :50], 17, max_size=20, antialias=True)
i, j, h, w = D['box']
R['two_a'] = TF.resized_crop(u, i, j, h, w, [24, 24], interpolation=IM.BICUBIC, antialias=True)
R['two_b'] = TF.resized_crop(u, i, j, h, w, [10, 12], interpolation=IM.BILINEAR, antialias=True)
hg, wg, hp, wp = 75 // 3, 78 // 3, 75 // 3 - 5, 78 // 3 - 5
cells = []
for k, (t, l, _, _) in enumerate(D['boxes']):
    gi, gj = divmod(k, 3)
    y, x = t - gi * hg, l - gj * wg
    cell = u[:, gi * hg:(gi + 1) * hg, gj * wg:(gj + 1) * wg]
    cells.append(cell[:, y:y + hp, x:x + wp])
R['patches'] = torch.stack([cells[4]] + [cells[k] for k in range(9) if k != 4])
OUT = R`,
      { img: u.toList(), box, boxes },
    );
    assert.equal(maxAbsDiff(new Pad([1, 2, 3, 4], { fill: 7 }).apply(u), ref.pad_const), 0);
    assert.equal(maxAbsDiff(new Pad([2, 3], { paddingMode: 'edge' }).apply(u), ref.pad_edge), 0);
    assert.equal(maxAbsDiff(new Pad(3, { paddingMode: 'reflect' }).apply(u), ref.pad_reflect), 0);
    assert.equal(maxAbsDiff(new Pad([4, 1, 2, 5], { paddingMode: 'symmetric' }).apply(u), ref.pad_sym), 0);
    const norm = new Normalize([0.4, 0.5, 0.6], [0.2, 0.25, 0.3]);
    assert.ok(maxAbsDiff(norm.apply(new ToTensor().apply(u)), ref.normalize) < 1e-6);
    assert.throws(() => norm.apply(u), /put ToTensor before it/);
    // 75 × 50: the shorter edge becomes 17 and the longer ⌊17 · 75 / 50⌋ = 25; capped at 20, 20 × ⌊20 · 17 / 25⌋.
    const tall = u.narrow(-1, 0, 50);
    assert.deepEqual(new Resize(17).outputSize(75, 50), [25, 17]);
    assert.deepEqual(new Resize(17, { maxSize: 20 }).outputSize(75, 50), [20, 13]);
    assert.equal(maxAbsDiff(new Resize(17).apply(tall), ref.resize_short), 0);
    assert.equal(maxAbsDiff(new Resize(17, { maxSize: 20 }).apply(tall), ref.resize_max), 0);
    const [a, b] = twoPic.applyMulti(u, new Rng(3));
    assert.equal(maxAbsDiff(a, ref.two_a), 0);
    assert.equal(maxAbsDiff(b, ref.two_b), 0);
    assert.equal(maxAbsDiff(torch.stack(patches.applyMulti(u, new Rng(4))), ref.patches), 0);
    for (const [k, [t, l, h, w]] of boxes.entries()) {
      const [gi, gj] = [Math.floor(k / 3), k % 3];
      assert.ok(t >= gi * 25 && t + h <= (gi + 1) * 25 && l >= gj * 26 && l + w <= (gj + 1) * 26, `patch ${k} inside its cell`);
    }
    assert.deepEqual(patches.labels, [0, 1, 2, 3, 4, 5, 6, 7]);
    // MMSelfSup's default jitter of 21 needs cells over 21 px.
    assert.throws(() => new RandomPatchWithLabels().getParams(60, 60, new Rng(0)), /20×20 cells, too small for jitter 21/);
  });
});

test('MultiView with multi-output steps and mask generators: batched equals per-sample, masks drawn per sample', () => {
  torch.tidy(() => {
    const g = new torch.Generator().manualSeed(2);
    const imgs = Array.from({ length: 5 }, (_, i) =>
      torch.randint(0, 256, [3, 40 + 3 * i, 44], { generator: g, dtype: 'uint8' }),
    );
    const idxs = [4, 9, 1, 7, 3];
    const beit = buildViews(beitV2Views({ size: 32 }));
    const simmim = buildViews(simmimViews({ size: 64 }));
    const rot = new MultiView([[new RandomResizedCrop(16), new RandomFlip(), new RotationWithLabels()]], 2);
    const rel = new MultiView(
      [[new Resize([45, 48]), new ColorJitter({ brightness: 0.4 }), new RandomPatchWithLabels({ jitter: 3 })]],
      1,
    );
    assert.deepEqual([beit.totalViews, beit.totalMasks, simmim.totalViews, simmim.totalMasks], [2, 1, 1, 1]);
    assert.deepEqual([rot.totalViews, rot.totalMasks, rel.totalViews], [8, 0, 9]);
    for (const mv of [beit, simmim, rot, rel]) {
      const batch = mv.applyBatchWithMasks(imgs, 11, 2, idxs);
      const single = imgs.map((x, j) => mv.applyWithMasks(x, 11, 2, idxs[j]));
      assert.equal(batch.views.length, mv.totalViews);
      batch.views.forEach((v, k) => {
        assert.equal(maxAbsDiff(v, torch.stack(single.map((s) => s.views[k]))), 0, `view ${k}`);
      });
      assert.equal(batch.masks.length, mv.totalMasks);
      batch.masks.forEach((m, k) => {
        assert.equal(m.dtype, 'bool');
        assert.deepEqual(
          Array.from(m.to('uint8').toBytes()),
          single.flatMap((s) => Array.from(s.masks[k].data)),
        );
      });
    }
    // The mask comes from the view's own stream after the image steps: a hand-built generator drawing
    // from a fresh stream of the same (seed, epoch, index, view) after the same steps sees the same numbers.
    const s = simmim.applyWithMasks(imgs[0], 11, 2, 4);
    const rng = Rng.forSample(11, 2, 4, 0);
    for (const t of buildPipeline(simmimViews({ size: 64 }).transforms[0], 'simmim').slice(0, 2))
      (t as Transform).apply(imgs[0], rng);
    assert.deepEqual(s.masks[0].data, new SimMIMMaskGenerator({ inputSize: 64 }).generate(rng).data);
    const rotViews = rot.apply(imgs[0], 0, 0, 0);
    assert.equal(maxAbsDiff(rotViews[2], torch.ops.aten.rot90(rotViews[0], 2, [1, 2])), 0, 'view 2 is the half turn of view 0');
    assert.throws(() => new MultiView([[new BEiTMaskGenerator(4, 4), new RandomFlip()]], 1), /after the mask generator/);
  });
});

test('the loader packs masks with the views; without mask generators a batch has no masks', async () => {
  const px = new Uint8Array(6 * 64 * 64 * 3).map((_, i) => (i * 31) % 251);
  const ds = new ArrayDataset('toy', px, { height: 64, width: 64, channels: 3 }, null);
  const loader = new DataLoader(ds, { batchSize: 3, views: buildViews(simmimViews({ size: 64 })), seed: 5 });
  let n = 0;
  for await (const b of loader) {
    assert.deepEqual(
      b.masks?.map((m) => m.shape),
      [[3, 16, 16]],
    );
    const masked = torch.tidy(() => (b.masks as torch.Tensor[])[0].sum([1, 2]).toList() as number[]);
    // 64 px in 32-px blocks: ⌈0.6 · 2²⌉ = 3 blocks masked, each 8 × 8 of the 16 × 16 grid of 4-px patches.
    assert.deepEqual(masked, [192, 192, 192]);
    b.dispose();
    n++;
  }
  assert.equal(n, 2);
  const plain = new DataLoader(ds, { batchSize: 6 });
  for await (const b of plain) {
    assert.equal(b.masks, undefined);
    b.dispose();
  }
});
