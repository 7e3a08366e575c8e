import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import * as T from '../../../src/data/transforms/functional.js';
import { BEiTMaskGenerator, SimMIMMaskGenerator } from '../../../src/data/transforms/masks.js';
import { buildViews } from '../../../src/data/register.js';
import { MultiView } from '../../../src/data/transforms/multi-view.js';
import { byolViews, simclrViews, swavViews } from '../../../src/engine/config/recipes.js';
import '../../../src/builtins.js';
import {
  ColorJitter,
  RandomFlip,
  RandomGaussianBlur,
  RandomGrayscale,
  RandomResizedCrop,
} from '../../../src/data/transforms/random.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { maxAbsDiff, py } from '../../helpers.js';

const image = () =>
  torch.tidy(() => torch.randint(0, 256, [3, 40, 60], { generator: new torch.Generator().manualSeed(3), dtype: 'uint8' }));

test('Rng: reproducible per (seed, epoch, index, view), uniform, valid permutations', () => {
  const a = Rng.forSample(1, 2, 3, 0);
  const b = Rng.forSample(1, 2, 3, 0);
  const xs = Array.from({ length: 5 }, () => a.random());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.random()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => Rng.forSample(1, 2, 3, 1).random()),
  );
  assert.notEqual(Rng.forSample(1, 2, 3).random(), Rng.forSample(1, 3, 3).random());
  const r = new Rng(9);
  let sum = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) sum += r.random();
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  const p = r.permutation(10);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test('RandomResizedCrop: crops inside the image with area and aspect in range; torchvision’s fallback', () => {
  const rrc = new RandomResizedCrop(16, { scale: [0.2, 0.9], ratio: [0.5, 2] });
  const rng = new Rng(4);
  for (let k = 0; k < 500; k++) {
    const [i, j, h, w] = rrc.getParams(40, 60, rng);
    assert.ok(i >= 0 && j >= 0 && i + h <= 40 && j + w <= 60, `crop ${[i, j, h, w]} inside 40×60`);
    // Rounding of h and w moves area and aspect slightly off the sampled values.
    assert.ok((h * w) / 2400 >= 0.2 * 0.8 && (h * w) / 2400 <= 0.9 * 1.2, `area ${(h * w) / 2400}`);
    assert.ok(w / h >= 0.5 * 0.8 && w / h <= 2 * 1.25, `aspect ${w / h}`);
  }
  // A 10×100 strip cannot give area ≥ 0.9 at aspect ≤ 4/3: torchvision falls back to a centred crop
  // with h = 10, w = round(10 · 4/3) = 13, top = 0, left = (100 − 13) // 2 = 43.
  assert.deepEqual(new RandomResizedCrop(8, { scale: [0.9, 1] }).getParams(10, 100, new Rng(1)), [0, 43, 10, 13]);
  torch.tidy(() => {
    const img = image();
    const t = new RandomResizedCrop([12, 20], { scale: [0.3, 1] });
    const out = t.apply(img, new Rng(5));
    const [i, j, h, w] = t.getParams(40, 60, new Rng(5));
    assert.equal(maxAbsDiff(out, T.resizedCrop(img, i, j, h, w, [12, 20], { antialias: true })), 0);
    assert.deepEqual(out.shape, [3, 12, 20]);
  });
});

test('ColorJitter: factors in range, random order, and the jittered image equals torchvision with those parameters', () => {
  const cj = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 });
  const rng = new Rng(7);
  const orders = new Set<string>();
  for (let k = 0; k < 300; k++) {
    const p = cj.getParams(rng);
    orders.add(p.order.join(''));
    assert.ok((p.brightness as number) >= 0.6 && (p.brightness as number) <= 1.4);
    assert.ok((p.saturation as number) >= 0.8 && (p.saturation as number) <= 1.2);
    assert.ok(Math.abs(p.hue as number) <= 0.1);
  }
  assert.ok(orders.size > 15, `${orders.size} of 24 orders seen`);
  torch.tidy(() => {
    const img = image();
    const p = cj.getParams(new Rng(11));
    const ref = py<number[]>(
      `import torchvision.transforms.functional as TF
img = torch.tensor(D['img'], dtype=torch.uint8)
fns = [lambda x: TF.adjust_brightness(x, D['b']), lambda x: TF.adjust_contrast(x, D['c']), lambda x: TF.adjust_saturation(x, D['s']), lambda x: TF.adjust_hue(x, D['h'])]
for k in D['order']: img = fns[k](img)
OUT = img`,
      { img: img.toList(), b: p.brightness, c: p.contrast, s: p.saturation, h: p.hue, order: p.order },
    );
    assert.equal(maxAbsDiff(cj.apply(img, new Rng(11)), ref), 0);
  });
});

test('ColorJitter ranges: numbers and [min, max] pairs give the ranges torchvision derives; bad ranges are errors', () => {
  const cases = [
    { brightness: 0.4, contrast: [0.5, 0.7], saturation: 0, hue: [-0.1, 0.05] },
    { brightness: 1.5, contrast: [1, 1], saturation: [0, 2], hue: 0.5 },
  ] as const;
  for (const o of cases) {
    const ref = py<(number[] | null)[]>(
      `import torchvision.transforms as T
cj = T.ColorJitter(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in D.items()})
OUT = [None if r is None else [float(x) for x in r] for r in (cj.brightness, cj.contrast, cj.saturation, cj.hue)]`,
      o,
    );
    assert.deepEqual(new ColorJitter(o).ranges, ref);
  }
  // A number x draws exactly as the range [max(0, 1 − x), 1 + x] does.
  const a = new ColorJitter({ brightness: 0.4, hue: 0.1 }).getParams(new Rng(3));
  const b = new ColorJitter({ brightness: [0.6, 1.4], hue: [-0.1, 0.1] }).getParams(new Rng(3));
  assert.deepEqual(a, b);
  const p = new ColorJitter({ brightness: [0.5, 0.7], contrast: [1, 1] }).getParams(new Rng(4));
  assert.ok((p.brightness as number) >= 0.5 && (p.brightness as number) <= 0.7);
  assert.equal(p.contrast, null);
  assert.throws(
    () => new ColorJitter({ brightness: [0.8, 0.5] }),
    /brightness values should be within \[0, Infinity\] and min ≤ max/,
  );
  assert.throws(() => new ColorJitter({ hue: [-0.6, 0] }), /hue values should be within \[-0.5, 0.5\]/);
  assert.throws(() => new ColorJitter({ saturation: -1 }), /saturation must be a non-negative number/);
});

test('probabilities: flip, greyscale and blur happen at their rates; blur uses a ±3σ kernel', () => {
  torch.tidy(() => {
    const img = image();
    const rng = new Rng(21);
    const rate = (t: { apply: (x: torch.Tensor, r: Rng) => torch.Tensor }) => {
      let hit = 0;
      for (let k = 0; k < 1000; k++) {
        const out = torch.tidy(() => t.apply(img, rng));
        if (out !== img) hit++;
        if (out !== img) out.dispose();
      }
      return hit / 1000;
    };
    assert.ok(Math.abs(rate(new RandomFlip(0.5)) - 0.5) < 0.05);
    assert.ok(Math.abs(rate(new RandomGrayscale(0.2)) - 0.2) < 0.04);
    assert.ok(Math.abs(rate(new RandomGaussianBlur({ sigmaMin: 0.5, sigmaMax: 1, prob: 0.3 })) - 0.3) < 0.05);
    const g = new RandomGrayscale(1).apply(img, rng);
    assert.ok(g.index(0).equal(g.index(2)), 'greyscale keeps 3 equal channels');
    const blurred = new RandomGaussianBlur({ sigmaMin: 1, sigmaMax: 1, prob: 1 }).apply(img, rng);
    assert.equal(maxAbsDiff(blurred, T.gaussianBlur(img, [7, 7], [1, 1])), 0);
  });
});

test('MultiView: SimCLR, BYOL and SwAV views with their shapes, reproducible from (seed, epoch, index)', () => {
  torch.tidy(() => {
    const img = image();
    const simclr = buildViews(simclrViews({ size: 24 }));
    const v1 = simclr.apply(img, 0, 0, 5);
    const v2 = simclr.apply(img, 0, 0, 5);
    assert.deepEqual(
      v1.map((v) => v.shape),
      [
        [3, 24, 24],
        [3, 24, 24],
      ],
    );
    assert.ok(v1[0].equal(v2[0]) && v1[1].equal(v2[1]), 'same seed, epoch and index → same views');
    assert.ok(!v1[0].equal(v1[1]), 'the two views differ');
    assert.ok(!simclr.apply(img, 0, 1, 5)[0].equal(v1[0]), 'another epoch → other views');
    const byol = buildViews(byolViews({ size: 16 }));
    assert.equal(byol.apply(img, 0, 0, 1).length, 2);
    const swav = buildViews(swavViews({ size: 24, smallSize: 12 }));
    assert.equal(swav.totalViews, 8);
    assert.deepEqual(
      swav.apply(img, 1, 0, 0).map((v) => v.shape[1]),
      [24, 24, 12, 12, 12, 12, 12, 12],
    );
  });
});

test('mask generators: SimMIM masks ⌈ratio·blocks⌉ whole blocks; BEiT masks rectangles up to the target', () => {
  const sim = new SimMIMMaskGenerator({ inputSize: 192, maskPatchSize: 32, modelPatchSize: 4, maskRatio: 0.6 });
  const m = sim.generate(new Rng(1));
  assert.deepEqual([m.height, m.width], [48, 48]);
  assert.equal(
    m.data.reduce((a, b) => a + b, 0),
    Math.ceil(36 * 0.6) * 64,
  );
  for (let bi = 0; bi < 6; bi++) {
    for (let bj = 0; bj < 6; bj++) {
      const v = m.data[bi * 8 * 48 + bj * 8];
      for (let i = 0; i < 8; i++)
        for (let j = 0; j < 8; j++) assert.equal(m.data[(bi * 8 + i) * 48 + bj * 8 + j], v, 'blocks are whole');
    }
  }
  const beit = new BEiTMaskGenerator(14, 75, { minNumPatches: 16 });
  const rng = new Rng(2);
  let total = 0;
  for (let k = 0; k < 50; k++) {
    const c = beit.generate(rng).data.reduce((a, b) => a + b, 0);
    assert.ok(c <= 75 && c >= 16, `masked ${c}`);
    total += c;
  }
  assert.ok(total / 50 > 65, `average masked ${total / 50} close to the 75 target`);
  assert.throws(() => new BEiTMaskGenerator(4, 20), /exceed the 4×4 grid/);
});

test('batched views equal per-image views: the batch path changes the cost, not the pixels', () => {
  torch.tidy(() => {
    const g = new torch.Generator().manualSeed(8);
    const imgs = Array.from({ length: 12 }, () => torch.randint(0, 256, [3, 28, 30], { generator: g, dtype: 'uint8' }));
    const idxs = imgs.map((_, i) => 100 + i);
    for (const mv of [simclrViews({ size: 20 }), byolViews({ size: 16 }), swavViews({ size: 20, smallSize: 10 })].map((v) =>
      buildViews(v),
    )) {
      const batched = mv.applyBatch(imgs, 3, 1, idxs);
      const single = imgs.map((img, j) => mv.apply(img, 3, 1, idxs[j]));
      batched.forEach((b, v) => {
        const ref = torch.stack(single.map((views) => views[v]));
        assert.equal(maxAbsDiff(b, ref), 0, `view ${v}`);
      });
    }
  });
});

test('the loader’s image path (one float copy per batch, crops rounded together) gives the per-image views', () => {
  torch.tidy(() => {
    const g = new torch.Generator().manualSeed(9);
    // Mixed sizes: images of one size are grouped, the others go alone.
    const shapes: [number, number, 1 | 3][] = [
      [28, 30, 3],
      [28, 30, 3],
      [41, 19, 3],
      [28, 30, 3],
      [33, 33, 3],
    ];
    const images = shapes.map(([h, w, c]) => {
      const t = torch.randint(0, 256, [h, w, c], { generator: g, dtype: 'uint8' });
      return { data: t.toBytes(), height: h, width: w, channels: c };
    });
    const idxs = images.map((_, i) => 30 + i);
    const bicubic = [new RandomResizedCrop(20, { interpolation: 'bicubic' }), new RandomFlip()];
    for (const mv of [buildViews(simclrViews({ size: 20 })), buildViews(byolViews({ size: 16 })), new MultiView([bicubic], 3)]) {
      const fast = mv.applyImagesWithMasks(images, 3, 1, idxs);
      const single = images.map((img, j) => mv.apply(T.imageToTensor(img), 3, 1, idxs[j]));
      fast.views.forEach((b, v) => {
        assert.equal(b.dtype, 'uint8');
        assert.equal(maxAbsDiff(b, torch.stack(single.map((views) => views[v]))), 0, `view ${v}`);
      });
    }
    const grey = { ...images[0], data: images[0].data.subarray(0, 28 * 30), channels: 1 as const };
    assert.throws(
      () => buildViews({ ...simclrViews({ size: 20 }), numViews: 1 }).applyImagesWithMasks([images[0], grey], 0, 0, [0, 1]),
      /view 0 has images of different sizes \(3×20×20, 1×20×20\)/,
    );
  });
});
