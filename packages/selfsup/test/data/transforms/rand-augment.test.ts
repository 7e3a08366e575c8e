/**
 * RandAugment against timm's `rand-m9-mstd0.5-inc1` ops restated in Python on Debian's PIL 9.4
 * (`auto_augment.py`'s level functions and PIL calls, the sign given instead of drawn): every op of
 * the increasing set at several magnitudes, both signs, clipped magnitudes, MAE's hparams (bicubic,
 * ImageNet-mean fill) and mmpretrain's defaults; a sampled sequence applied through `apply`; the
 * seeded draws (order, probability ½, magnitude noise, uniform op choice).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { RandAugment, type RandAugmentStep, TIMM_INCREASING_OPS } from '../../../src/data/transforms/rand-augment.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { py } from '../../helpers.js';
import { edgeImage } from './test-images.js';

/** timm's names of our ops, and its ops and level functions with the sign passed in. */
const TIMM = `import numpy as np
from PIL import Image, ImageOps, ImageEnhance
NAMES = {'AutoContrast': 'AutoContrast', 'Equalize': 'Equalize', 'Invert': 'Invert', 'Rotate': 'Rotate',
  'Posterize': 'PosterizeIncreasing', 'Solarize': 'SolarizeIncreasing', 'SolarizeAdd': 'SolarizeAdd',
  'ColorTransform': 'ColorIncreasing', 'Contrast': 'ContrastIncreasing', 'Brightness': 'BrightnessIncreasing',
  'Sharpness': 'SharpnessIncreasing', 'ShearX': 'ShearX', 'ShearY': 'ShearY', 'TranslateX': 'TranslateXRel',
  'TranslateY': 'TranslateYRel'}
FILTERS = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}
def neg(v, n): return -v if n else v
def level_args(name, level, n):
    if name == 'Rotate': return (neg((level / 10.) * 30., n),)
    if name == 'PosterizeIncreasing': return (4 - int((level / 10.) * 4),)
    if name == 'SolarizeIncreasing': return (256 - int((level / 10.) * 256),)
    if name == 'SolarizeAdd': return (int((level / 10.) * 110),)
    if name.endswith('Increasing'): return (max(0.1, 1.0 + neg((level / 10.) * .9, n)),)
    if name in ('ShearX', 'ShearY'): return (neg((level / 10.) * 0.3, n),)
    if name in ('TranslateXRel', 'TranslateYRel'): return (neg((level / 10.) * 0.45, n),)
    return ()
def solarize_add(img, add, thresh=128):
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut + lut + lut)
def posterize(img, bits):
    return img if bits >= 8 else ImageOps.posterize(img, bits)
def apply_op(img, name, args, resample, fill):
    kw = dict(resample=resample, fillcolor=fill)
    if name == 'AutoContrast': return ImageOps.autocontrast(img)
    if name == 'Equalize': return ImageOps.equalize(img)
    if name == 'Invert': return ImageOps.invert(img)
    if name == 'Rotate': return img.rotate(args[0], **kw)
    if name == 'PosterizeIncreasing': return posterize(img, args[0])
    if name == 'SolarizeIncreasing': return ImageOps.solarize(img, args[0])
    if name == 'SolarizeAdd': return solarize_add(img, args[0])
    if name == 'ColorIncreasing': return ImageEnhance.Color(img).enhance(args[0])
    if name == 'ContrastIncreasing': return ImageEnhance.Contrast(img).enhance(args[0])
    if name == 'BrightnessIncreasing': return ImageEnhance.Brightness(img).enhance(args[0])
    if name == 'SharpnessIncreasing': return ImageEnhance.Sharpness(img).enhance(args[0])
    if name == 'ShearX': return img.transform(img.size, Image.AFFINE, (1, args[0], 0, 0, 1, 0), **kw)
    if name == 'ShearY': return img.transform(img.size, Image.AFFINE, (1, 0, 0, args[0], 1, 0), **kw)
    if name == 'TranslateXRel': return img.transform(img.size, Image.AFFINE, (1, 0, args[0] * img.size[0], 0, 1, 0), **kw)
    if name == 'TranslateYRel': return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, args[0] * img.size[1]), **kw)
def to_pil(data, c, h, w):
    return Image.fromarray(np.array(data, dtype=np.uint8).reshape(c, h, w).transpose(1, 2, 0))
def flat(img):
    return np.asarray(img).transpose(2, 0, 1).reshape(-1).tolist()
`;

const [C, H, W] = [3, 20, 26];
const MAGNITUDES = [0, 3.3, 9, 9.7, 12];
const IMG = edgeImage(C, H, W, 21);
const CASES = TIMM_INCREASING_OPS.flatMap((op) => MAGNITUDES.flatMap((m) => [false, true].map((negate) => ({ op, m, negate }))));
// MAE's hparams: bicubic for every geometric op, the ImageNet mean as fill.
const MAE = new RandAugment({
  numPolicies: 2,
  magnitudeLevel: 9,
  hparams: { padVal: [124, 116, 104], interpolation: 'bicubic' },
});
// mmpretrain's defaults: fill 128, nearest for Rotate and Translate, bicubic for Shear.
const PLAIN = new RandAugment({ numPolicies: 2, magnitudeLevel: 9 });
const CHAINED = new RandAugment({
  numPolicies: 3,
  magnitudeLevel: 9,
  magnitudeStd: 0.5,
  prob: 0.9,
  hparams: { padVal: [124, 116, 104], interpolation: 'bicubic' },
});
const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = SEEDS.map((s) => CHAINED.sample(new Rng(s), H, W) ?? []);

/** timm's results for every case, and for the sampled chains (one Python run for the file). */
const REF = py<{ mae: number[][]; plain: number[][]; chains: number[][] }>(
  `${TIMM}
img = to_pil(D['img'], ${C}, ${H}, ${W})
OUT = {'mae': [], 'plain': [], 'chains': []}
for case in D['cases']:
    name = NAMES[case['op']]
    args = level_args(name, max(0., min(case['m'], 10.)), case['negate'])
    OUT['mae'].append(flat(apply_op(img, name, args, Image.BICUBIC, (124, 116, 104))))
    plain_filter = Image.BICUBIC if name.startswith('Shear') else Image.NEAREST
    OUT['plain'].append(flat(apply_op(img, name, args, plain_filter, (128, 128, 128))))
for steps in D['steps']:
    im = img
    for s in steps:
        name = NAMES[s['op']]
        # The step carries the final argument; timm's translate takes the fraction of the size.
        a = s['arg'] / im.size[0] if name == 'TranslateXRel' else s['arg'] / im.size[1] if name == 'TranslateYRel' else s['arg']
        im = apply_op(im, name, (a,), Image.BICUBIC, (124, 116, 104))
    OUT['chains'].append(flat(im))`,
  { img: [...IMG], cases: CASES, steps: STEPS },
);

test("every op of the increasing set at each magnitude and sign equals timm's op on a PIL image", () => {
  CASES.forEach(({ op, m, negate }, k) => {
    for (const [ra, want] of [
      [MAE, REF.mae[k]],
      [PLAIN, REF.plain[k]],
    ] as const) {
      const p = { data: IMG.slice(), offset: 0, c: C, h: H, w: W };
      ra.applySteps(p, [ra.step(op, m, negate, H, W)]);
      assert.deepEqual([...p.data], want, `${op} m=${m}${negate ? ' negated' : ''} (${ra === MAE ? 'MAE' : 'default'} hparams)`);
    }
  });
});

test('apply draws the ops of `sample` from the same stream and applies them in order, as timm chains them', () => {
  assert.ok(
    STEPS.some((s) => s.length >= 2),
    'some images get several ops',
  );
  const x = torch.tensor(IMG, { shape: [C, H, W] });
  SEEDS.forEach((s, i) => {
    const out = CHAINED.apply(x, new Rng(s));
    assert.deepEqual([...(out.toTypedArray() as Uint8Array)], REF.chains[i], `seed ${s}: ${JSON.stringify(STEPS[i])}`);
    out.dispose();
  });
  x.dispose();
});

test('the draws: uniform op choice with replacement, each op applied with probability ½, magnitude ~ N(9, 0.5²) clipped at 10, signs ½', () => {
  const ra = new RandAugment({ numPolicies: 2, magnitudeLevel: 9, magnitudeStd: 0.5 });
  const counts = new Map<string, number>();
  const magnitudes: number[] = [];
  let images = 0;
  let applied = 0;
  let negative = 0;
  const n = 6000;
  for (let i = 0; i < n; i++) {
    const steps: RandAugmentStep[] = ra.sample(Rng.forSample(0, 0, i), 224, 224) ?? [];
    images += steps.length === 0 ? 1 : 0;
    applied += steps.length;
    for (const s of steps) {
      counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
      // Each signed op's magnitude back from its argument (full strength: 30°, 0.3, 0.45·224 px, 0.9).
      const full: Partial<Record<string, [number, number]>> = {
        Rotate: [0, 30],
        ShearX: [0, 0.3],
        ShearY: [0, 0.3],
        TranslateX: [0, 0.45 * 224],
        TranslateY: [0, 0.45 * 224],
        ColorTransform: [1, 0.9],
        Contrast: [1, 0.9],
        Brightness: [1, 0.9],
        Sharpness: [1, 0.9],
      };
      const f = full[s.op];
      if (f) {
        magnitudes.push((Math.abs(s.arg - f[0]) / f[1]) * 10);
        negative += s.arg < f[0] ? 1 : 0;
      }
    }
  }
  // Two draws each applied with probability ½: 1 op per image on average, none for a quarter of them.
  assert.ok(Math.abs(applied / n - 1) < 0.03, `ops per image ${applied / n}`);
  assert.ok(Math.abs(images / n - 0.25) < 0.02, `images left alone ${images / n}`);
  assert.equal(counts.size, 15);
  for (const [op, k] of counts) assert.ok(Math.abs(k / applied - 1 / 15) < 0.012, `${op}: ${k / applied}`);
  const mean = magnitudes.reduce((a, b) => a + b, 0) / magnitudes.length;
  const sd = Math.sqrt(magnitudes.reduce((a, b) => a + (b - mean) ** 2, 0) / magnitudes.length);
  // N(9, 0.5²) clipped at 10 (2σ): mean 9 − 0.004, std 0.48.
  assert.ok(Math.abs(mean - 8.996) < 0.03 && Math.abs(sd - 0.48) < 0.03, `magnitude mean ${mean}, std ${sd}`);
  assert.ok(Math.max(...magnitudes) <= 10 + 1e-12, 'magnitudes are clipped at totalLevel');
  assert.ok(Math.abs(negative / magnitudes.length - 0.5) < 0.03, `negated ${negative / magnitudes.length}`);
  // The same stream gives the same ops.
  assert.deepEqual(ra.sample(Rng.forSample(0, 0, 17), 224, 224), ra.sample(Rng.forSample(0, 0, 17), 224, 224));
});

test('bad options and images are refused with the option or shape named', () => {
  assert.throws(() => new RandAugment({ numPolicies: 0, magnitudeLevel: 9 }), /numPolicies must be a positive integer/);
  assert.throws(() => new RandAugment({ numPolicies: 2, magnitudeLevel: -1 }), /magnitudeLevel must be ≥ 0/);
  assert.throws(
    () => new RandAugment({ numPolicies: 2, magnitudeLevel: 9, hparams: { padVal: [1, 2] } }),
    /padVal must be a byte or three/,
  );
  const ra = new RandAugment({ numPolicies: 2, magnitudeLevel: 9, prob: 1, hparams: { padVal: [1, 2, 3] } });
  const grey = { data: new Uint8Array(16), offset: 0, c: 1, h: 4, w: 4 };
  assert.throws(() => ra.applySteps(grey, [{ op: 'Rotate', arg: 10 }]), /padVal has 3 values for 1-channel images/);
  torch.tidy(() => {
    const f = torch.zeros([3, 4, 4]);
    assert.throws(() => ra.apply(f, new Rng(1)), /RandAugment works on uint8 \(C, H, W\) images.*float32/);
  });
});
