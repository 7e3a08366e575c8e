/**
 * SparK's configuration checks (each names the option at fault) and `reconstruct`: the mask it
 * shows covers exactly the masked 8-px patches, 60 % of them, and the output is in 0–255 units
 * of the input's shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, SparK } from '../../../src/index.js';

const cfg = (o: Record<string, unknown> = {}, backbone: Record<string, unknown> = {}) => ({
  type: 'SparK' as const,
  inputSize: 32,
  downsampleRatio: 8,
  encDecNormDim: 64,
  backbone: {
    type: 'SparseResNet' as const,
    depth: 18 as const,
    widthMultiplier: 0.125,
    cifarStem: true,
    outIndices: [1, 2, 3],
    ...backbone,
  },
  neck: { type: 'SparKLightDecoder' as const, featureDim: 32, upsampleRatio: 8 },
  head: { type: 'SparKPretrainHead' as const, patchSize: 8 },
  ...o,
});

test('SparK rejects parts that do not fit, naming the option', () => {
  const build = (c: ReturnType<typeof cfg>) => ALGORITHMS.buildAs(c, 'model', SparK, 'test');
  assert.throws(
    () => build(cfg({ encDecNormDim: 128 })),
    /encDecNormDim 128 .* must be the width of the backbone's coarsest output \(64\)/,
  );
  assert.throws(
    () => build(cfg({ head: { type: 'SparKPretrainHead', patchSize: 16 } })),
    /head.patchSize 16 must equal downsampleRatio 8/,
  );
  assert.throws(
    () => build(cfg({ neck: { type: 'SparKLightDecoder', featureDim: 32, upsampleRatio: 4 } })),
    /neck.upsampleRatio 4/,
  );
  assert.throws(() => build(cfg({ maskRatio: 0.99 })), /keeps 0 of 16 patches/);
  assert.throws(() => build(cfg({ inputSize: 36 })), /inputSize 36 must be a multiple of downsampleRatio 8/);
  assert.throws(
    () => build(cfg({ backbone: { type: 'ResNet', depth: 18 } })),
    /must be a sparse encoder \(SparseResNet, SparseConvNeXt\), got ResNet/,
  );
  const algo = build(cfg());
  assert.throws(
    () => algo.loss({ views: [torch.zeros([2, 3, 64, 64], { dtype: 'uint8' })] }),
    /expected 32×32 images \(inputSize\)/,
  );
  algo.dispose();
});

test('SparK.reconstruct: 0–255 images of the input shape and a mask of exactly the masked patches', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg(), 'model', SparK, 'test');
  const images = torch.randint(0, 256, [2, 3, 32, 32]).to({ dtype: 'uint8' });
  torch.manualSeed(4);
  const r = algo.reconstruct(images);
  torch.manualSeed(4);
  const active = algo.mask(2, 'cpu');
  torch.tidy(() => {
    assert.deepEqual(r.reconstruction.shape, [2, 3, 32, 32]);
    assert.ok(
      r.original
        .sub(images.to({ dtype: 'float32' }))
        .abs()
        .max()
        .item() < 1e-3,
      'the original in 0–255 units',
    );
    const expected = active.logicalNot().to({ dtype: 'float32' }).repeatInterleave(8, 2).repeatInterleave(8, 3);
    assert.equal(r.mask.sub(expected).abs().max().item(), 0);
    assert.equal(r.mask.sum().item(), 2 * 10 * 64, '10 of 16 patches masked per image');
  });
  algo.dispose();
});
