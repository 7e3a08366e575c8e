/**
 * Recipe helpers whose output is more than restated constants: CAE's views (BEiT v1's without the
 * colour jitter, optionally with an exact-count mask for the fixed number of mask tokens CAE needs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStep } from '../../../src/data/register.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { beitV1Views, caeViews } from '../../../src/engine/config/recipes.js';
import '../../../src/builtins.js';
import type { MultiViewConfig, PipelineStepConfig } from '../../../src/part-configs.js';

/** The one view's steps. */
const stepsOf = (v: MultiViewConfig) => v.transforms[0] as PipelineStepConfig[];

type Gen = { generate(rng: Rng): { height: number; width: number; data: Uint8Array } };

test('caeViews is BEiT v1’s flip, two-picture crop and block mask without the colour jitter', () => {
  for (const o of [{}, { size: 32, secondSize: 32, patchSize: 8 }, { size: 192, patchSize: 16 }]) {
    const beit = stepsOf(beitV1Views(o));
    assert.equal(beit[0].type, 'ColorJitter');
    assert.deepEqual(caeViews(o), { type: 'MultiView', numViews: 1, transforms: [beit.slice(1)] }, JSON.stringify(o));
  }
  // MMSelfSup's imagenet_cae.py: 75 of the 14 × 14 patches, blocks of at least 16, DALL-E's view at 112 px.
  const [, crop, mask] = stepsOf(caeViews());
  assert.deepEqual(mask, { type: 'BEiTMaskGenerator', inputSize: 14, numMaskingPatches: 75, minNumPatches: 16 });
  assert.equal((crop as { secondSize: number }).secondSize, 112);
});

test('caeViews({ exactMask }) masks exactly the block mask’s count of single patches in every image', () => {
  // round(75/196 · 16) = 6 on 4 × 4; 75 on 14 × 14.
  for (const [o, grid, count] of [
    [{ size: 32, secondSize: 32, patchSize: 8, exactMask: true }, 4, 6],
    [{ exactMask: true }, 14, 75],
  ] as const) {
    const step = stepsOf(caeViews(o))[2];
    assert.equal(step.type, 'SimMIMMaskGenerator');
    const gen = buildStep(step, 'mask') as unknown as Gen;
    const seen = new Uint32Array(grid * grid);
    for (let i = 0; i < 2000; i++) {
      const m = gen.generate(new Rng(i));
      assert.deepEqual([m.height, m.width], [grid, grid]);
      const n = m.data.reduce((a, b) => a + b, 0);
      if (n !== count) assert.fail(`${grid}x${grid} mask ${i}: ${n} patches, expected ${count}`);
      m.data.forEach((v, j) => {
        seen[j] += v;
      });
    }
    // Every patch gets masked: the masks are spread over the grid, not a fixed set.
    assert.ok(seen.every((v) => v > 0));
  }
});

test('caeViews rejects a size off the patch grid and a DALL-E view whose 8-px cells miss it', () => {
  assert.throws(() => caeViews({ size: 30, patchSize: 8 }), /caeViews: size 30 is not a multiple of the 8-px patch/);
  assert.throws(() => caeViews({ size: 224, secondSize: 224 }), /caeViews: DALL-E's 28-cell grid at 224 px must be the 14x14/);
});
