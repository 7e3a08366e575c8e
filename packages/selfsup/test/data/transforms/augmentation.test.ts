/**
 * Meaning apart from speed: for every registered augmentation (a transform built on
 * `AugmentationTransform`) and each backend, the batch kernel and the bytes kernel give the pixels
 * of the reference (`apply`: per image, drawing from the same seeded streams), byte for byte, on
 * images whose sizes the vector lanes do not divide. A registered augmentation missing from the
 * table below fails the test, so a new one cannot skip the check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/builtins.js';
import { TRANSFORMS } from '../../../src/data/registries.js';
import { AugmentationTransform } from '../../../src/data/transforms/augmentation.js';
import type { Planes } from '../../../src/data/transforms/bytes.js';
import { Rng } from '../../../src/data/transforms/rng.js';

/** Configs covering each augmentation's kernels: both backends, drawn and undrawn images. */
const CASES: Record<string, Record<string, unknown>[]> = {
  RandomFlip: [{ prob: 0.5 }, { prob: 0.5, direction: 'vertical' }],
  RandomSolarize: [{ prob: 0.5 }, { threshold: 64, prob: 0.5 }],
  RandomGrayscale: [{ prob: 0.5 }, { prob: 0.5, backend: 'pillow' }, { prob: 0.5, keepChannels: false }],
  ColorJitter: [
    { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 },
    { brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, backend: 'pillow' },
  ],
  RandomGaussianBlur: [
    { sigmaMin: 0.1, sigmaMax: 2, prob: 0.5 },
    { sigmaMin: 0.1, sigmaMax: 2, prob: 0.5, backend: 'pillow' },
  ],
  RandAugment: [
    { numPolicies: 2, magnitudeLevel: 9, magnitudeStd: 0.5, hparams: { padVal: [124, 116, 104], interpolation: 'bicubic' } },
  ],
  RandomErasing: [
    { eraseProb: 0.5, mode: 'rand', fillColor: [124, 116, 104], fillStd: [58, 57, 57] },
    { eraseProb: 0.5, fillColor: 0 },
  ],
  RandomRotation: [{ degrees: 30, interpolation: 'bilinear', fill: [1, 2, 3] }],
};

test('every registered augmentation is covered by the kernel table', () => {
  const augmentations = TRANSFORMS.list().filter((name) => {
    const cases = CASES[name];
    const config = cases?.[0] ?? { size: 8, sigmaMin: 1, sigmaMax: 1, mean: [0], std: [1], padding: 1, transforms: [] };
    try {
      return TRANSFORMS.build({ type: name, ...config }, name) instanceof AugmentationTransform;
    } catch {
      return false; // a transform whose options the fallback config does not fit is not an augmentation here
    }
  });
  assert.deepEqual(augmentations.sort(), Object.keys(CASES).sort());
});

for (const [name, configs] of Object.entries(CASES)) {
  for (const cfg of configs) {
    test(`${name} ${JSON.stringify(cfg)}: batch and bytes kernels = the reference, byte for byte`, () => {
      const t = TRANSFORMS.build({ type: name, ...cfg }, 'pipeline.0');
      assert.ok(t instanceof AugmentationTransform);
      const { applyBatch, applyBytes } = t;
      const keepsShape = cfg.keepChannels !== false;
      assert.equal(applyBatch !== undefined, keepsShape, 'a batch kernel exactly when the shape is kept');
      torch.tidy(() => {
        const [n, h, w] = [8, 13, 19];
        const g = new torch.Generator().manualSeed(3);
        const batch = torch.randint(0, 256, [n, 3, h, w], { generator: g }).to({ dtype: 'uint8' });
        const rngs = () => Array.from({ length: n }, (_, i) => Rng.forSample(11, 2, i));
        const reference = rngs().map((r, i) => t.apply(batch.select(0, i), r));
        const changed = reference.filter((x, i) => x.shape.join() !== '3,13,19' || !x.equal(batch.select(0, i))).length;
        // Both outcomes of the coin appear (ColorJitter has no coin: every image changes).
        assert.ok(changed > 0 && (cfg.prob === undefined || changed < n), `${changed} of ${n} images changed`);
        if (applyBatch) {
          const out = applyBatch(batch, rngs());
          for (const [i, x] of reference.entries()) assert.ok(out.select(0, i).equal(x), `batch kernel, image ${i}`);
        }
        if (applyBytes) {
          const data = batch.contiguous().toTypedArray() as Uint8Array;
          const r = rngs();
          reference.forEach((x, i) => {
            const planes: Planes = { data: data.slice(), offset: i * 3 * h * w, c: 3, h, w };
            applyBytes(planes, r[i]);
            const got = planes.data.subarray(i * 3 * h * w, (i + 1) * 3 * h * w);
            assert.deepEqual([...got], [...(x.contiguous().toTypedArray() as Uint8Array)], `bytes kernel, image ${i}`);
          });
        }
      });
    });
  }
}
