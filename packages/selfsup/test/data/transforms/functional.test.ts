import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import * as T from '../../../src/data/transforms/functional.js';
import { maxAbsDiff, py } from '../../helpers.js';

/** A fixed random uint8 image (3, 20, 24) and its float copy, plus torchvision's outputs on them. */
const ref = py<Record<string, number[]> & { img: number[] }>(
  `import torchvision.transforms.functional as TF
g = torch.Generator().manual_seed(0)
u = torch.randint(0, 256, (3, 20, 24), generator=g, dtype=torch.uint8)
f = u.float() / 255
b = torch.randint(0, 256, (2, 3, 9, 11), generator=g, dtype=torch.uint8)
R = {}
for name, img in [('u', u), ('f', f)]:
    R[name + '_hflip'] = TF.hflip(img); R[name + '_vflip'] = TF.vflip(img)
    R[name + '_crop'] = TF.crop(img, 3, 5, 10, 12); R[name + '_crop_out'] = TF.crop(img, -2, 20, 6, 8)
    R[name + '_center'] = TF.center_crop(img, [11, 9])
    R[name + '_resize'] = TF.resize(img, [13, 31]); R[name + '_resize_aa'] = TF.resize(img, [7, 9], antialias=True)
    R[name + '_resize_nearest'] = TF.resize(img, [9, 10], interpolation=TF.InterpolationMode.NEAREST)
    R[name + '_resize_bicubic'] = TF.resize(img, [15, 11], interpolation=TF.InterpolationMode.BICUBIC)
    R[name + '_resized_crop'] = TF.resized_crop(img, 2, 3, 12, 14, [16, 16])
    R[name + '_gray'] = TF.rgb_to_grayscale(img); R[name + '_gray3'] = TF.rgb_to_grayscale(img, 3)
    R[name + '_bright'] = TF.adjust_brightness(img, 1.37); R[name + '_contrast'] = TF.adjust_contrast(img, 0.61)
    R[name + '_sat'] = TF.adjust_saturation(img, 1.8); R[name + '_hue'] = TF.adjust_hue(img, 0.23); R[name + '_hue_neg'] = TF.adjust_hue(img, -0.41)
    R[name + '_blur'] = TF.gaussian_blur(img, [5, 3], [1.3, 0.7])
    R[name + '_solarize'] = TF.solarize(img, 128 if name == 'u' else 0.5)
R['f_normalize'] = TF.normalize(f, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
R['b_blur'] = TF.gaussian_blur(b, [3, 3], [0.9, 0.9]); R['b_hue'] = TF.adjust_hue(b, 0.1); R['b_contrast'] = TF.adjust_contrast(b, 1.5)
OUT = {k: v.tolist() for k, v in R.items()}
OUT['img'] = u.tolist(); OUT['batch'] = b.tolist()`,
);

test('tensor transforms match torchvision.transforms.functional on uint8 and float images', () => {
  torch.tidy(() => {
    const u = torch.tensor(ref.img as unknown as number[][][], { dtype: 'uint8' });
    const f = u.float().div(255);
    const cases: [string, (x: torch.Tensor, isU: boolean) => torch.Tensor][] = [
      ['hflip', (x) => T.hflip(x)],
      ['vflip', (x) => T.vflip(x)],
      ['crop', (x) => T.crop(x, 3, 5, 10, 12)],
      ['crop_out', (x) => T.crop(x, -2, 20, 6, 8)],
      ['center', (x) => T.centerCrop(x, 11, 9)],
      ['resize', (x) => T.resize(x, [13, 31])],
      ['resize_aa', (x) => T.resize(x, [7, 9], { antialias: true })],
      ['resize_nearest', (x) => T.resize(x, [9, 10], { interpolation: 'nearest' })],
      ['resize_bicubic', (x) => T.resize(x, [15, 11], { interpolation: 'bicubic' })],
      ['resized_crop', (x) => T.resizedCrop(x, 2, 3, 12, 14, [16, 16])],
      ['gray', (x) => T.rgbToGrayscale(x)],
      ['gray3', (x) => T.rgbToGrayscale(x, 3)],
      ['bright', (x) => T.adjustBrightness(x, 1.37)],
      ['contrast', (x) => T.adjustContrast(x, 0.61)],
      ['sat', (x) => T.adjustSaturation(x, 1.8)],
      ['hue', (x) => T.adjustHue(x, 0.23)],
      ['hue_neg', (x) => T.adjustHue(x, -0.41)],
      ['blur', (x) => T.gaussianBlur(x, [5, 3], [1.3, 0.7])],
      ['solarize', (x, isU) => T.solarize(x, isU ? 128 : 0.5)],
    ];
    for (const [name, fn] of cases) {
      for (const [tag, img, tol] of [
        ['u', u, 0],
        ['f', f, 1e-6],
      ] as const) {
        const out = fn(img, tag === 'u');
        assert.equal(out.dtype, img.dtype, `${tag}_${name} keeps the dtype`);
        const d = maxAbsDiff(out, ref[`${tag}_${name}`]);
        assert.ok(d <= tol, `${tag}_${name}: max |diff| ${d}`);
      }
    }
    const d = maxAbsDiff(T.normalize(f, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), ref.f_normalize);
    assert.ok(d < 1e-5, `normalize: ${d}`);
  });
});

test('batched (N, C, H, W) transforms equal torchvision on the batch', () => {
  torch.tidy(() => {
    const b = torch.tensor((ref as unknown as { batch: number[][][][] }).batch, { dtype: 'uint8' });
    assert.equal(maxAbsDiff(T.gaussianBlur(b, [3, 3], [0.9, 0.9]), ref.b_blur), 0);
    assert.equal(maxAbsDiff(T.adjustHue(b, 0.1), ref.b_hue), 0);
    assert.equal(maxAbsDiff(T.adjustContrast(b, 1.5), ref.b_contrast), 0, 'contrast uses each image’s own mean');
  });
});

test('imageToTensor and toFloat; bad parameters are refused', () => {
  torch.tidy(() => {
    const t = T.imageToTensor({ data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 });
    assert.deepEqual(t.shape, [3, 1, 2]);
    assert.deepEqual(t.toList(), [[[1, 4]], [[2, 5]], [[3, 6]]]);
    assert.deepEqual(
      (T.toFloat(t).index(0, 0).toList() as number[]).map((v) => Math.round(v * 255)),
      [1, 4],
    );
    assert.deepEqual([T.roundHalfEven(4.5), T.roundHalfEven(7.5), T.roundHalfEven(-2.5), T.roundHalfEven(2.4)], [4, 8, -2, 2]);
    assert.throws(() => T.adjustHue(t, 0.7), /hue factor must be in \[-0.5, 0.5\]/);
    assert.throws(() => T.gaussianBlur(t, [4, 3], [1, 1]), /kernel size must be positive and odd/);
    assert.throws(() => T.normalize(t, [0], [1]), /float image/);
  });
});
