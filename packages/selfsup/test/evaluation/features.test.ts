import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import type { Dataset } from '../../src/data/datasets/base.js';
import { DecodeError } from '../../src/data/decode.js';
import { DataLoader } from '../../src/data/loader/loader.js';
import { backboneEncoder, extractFeatures, pixelEncoder } from '../../src/evaluation/features.js';
import { BEiTViT } from '../../src/models/backbones/beit-vit.js';
import { ResNet } from '../../src/models/backbones/resnet.js';
import { type ViTOutType, VisionTransformer } from '../../src/models/backbones/vit.js';
import { assertClose } from '../helpers.js';

function randomDataset(n: number, size: number, channels: 1 | 3, labelled = true, seed = 1): ArrayDataset {
  let s = seed >>> 0;
  const images = Uint8Array.from({ length: n * size * size * channels }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
  const labels = labelled ? Int32Array.from({ length: n }, (_, i) => (i * 7) % 3) : null;
  return new ArrayDataset('random', images, { height: size, width: size, channels }, labels);
}

test('pixelEncoder + extractFeatures: normalised pixels in (C, H, W) order, labels, indices, progress, no leaks', async () => {
  const ds = randomDataset(10, 4, 3);
  const mean = [100, 120, 140];
  const std = [50, 60, 70];
  const loader = new DataLoader(ds, { batchSize: 4 });
  const progress: number[] = [];
  const before = torch.memory().liveTensors;
  const out = await extractFeatures(pixelEncoder({ mean, std }), loader, { onProgress: (p) => progress.push(p.done, p.total) });
  assert.equal(torch.memory().liveTensors - before, 3, 'only the three results stay alive');
  assert.deepEqual(progress, [4, 10, 8, 10, 10, 10]);
  assert.deepEqual(out.features.shape, [10, 48]);
  assert.equal(out.features.dtype, 'float32');
  assert.equal(out.labels.dtype, 'int64');
  assert.equal(out.features.isInference(), false, 'results are ordinary tensors, usable with autograd');
  assert.deepEqual(out.labels.toList(), Array.from(ds.labels as Int32Array));
  assert.deepEqual(out.indices.toList(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // By hand from the (H, W, C) bytes: feature c·16 + y·4 + x = (img[y][x][c] − mean_c) / std_c.
  const f = out.features.toTypedArray() as Float32Array;
  for (const i of [0, 5, 9]) {
    for (const [c, y, x] of [
      [0, 0, 0],
      [1, 2, 3],
      [2, 3, 1],
    ]) {
      const v = ds.images[((i * 4 + y) * 4 + x) * 3 + c];
      assert.ok(Math.abs(f[i * 48 + c * 16 + y * 4 + x] - (v - mean[c]) / std[c]) < 1e-6);
    }
  }
  for (const t of [out.features, out.labels, out.indices]) t.dispose();
});

test('grey images are repeated to 3 channels for 3-channel statistics; unlabelled data gets label −1', async () => {
  const ds = randomDataset(3, 2, 1, false);
  const out = await extractFeatures(pixelEncoder({ mean: [10, 20, 30], std: [1, 2, 4] }), new DataLoader(ds, { batchSize: 2 }));
  assert.deepEqual(out.features.shape, [3, 12]);
  assert.deepEqual(out.labels.toList(), [-1, -1, -1]);
  const f = out.features.toTypedArray() as Float32Array;
  for (let p = 0; p < 4; p++) {
    const v = ds.images[4 + p]; // image 1, pixel p
    assert.deepEqual([f[12 + p], f[12 + 4 + p], f[12 + 8 + p]], [(v - 10) / 1, (v - 20) / 2, (v - 30) / 4]);
  }
  for (const t of [out.features, out.labels, out.indices]) t.dispose();
});

test('extractFeatures keeps only the rows of decodable images when the loader skips bad ones', async () => {
  const inner = randomDataset(6, 2, 3);
  const flaky: Dataset = {
    length: inner.length,
    labels: inner.labels,
    describe: () => 'flaky',
    get: async (i) => {
      if (i === 2 || i === 5) throw new DecodeError(`img${i}.jpg`, 'truncated');
      return inner.get(i);
    },
  };
  const warn = console.warn;
  console.warn = () => {};
  try {
    const out = await extractFeatures(
      pixelEncoder({ mean: [0, 0, 0], std: [1, 1, 1] }),
      new DataLoader(flaky, { batchSize: 4, onCorrupt: 'skip' }),
    );
    assert.deepEqual(out.indices.toList(), [0, 1, 3, 4]);
    assert.deepEqual(out.labels.toList(), [0, 1, 0, 1]);
    assert.deepEqual(out.features.shape, [4, 12]);
    assert.equal(out.features.index(2, 0).item(), inner.images[3 * 12]);
    for (const t of [out.features, out.labels, out.indices]) t.dispose();
  } finally {
    console.warn = warn;
  }
});

test('backboneEncoder: ResNet stage outputs average-pooled in eval mode (training state restored)', async () => {
  torch.manualSeed(0);
  const net = new ResNet({ depth: 18, widthMultiplier: 0.125, cifarStem: true, outIndices: [2, 3] });
  const ds = randomDataset(6, 8, 3);
  const norm = { mean: [125, 123, 114], std: [63, 62, 66] };
  // BN running statistics differ from batch statistics, so eval mode is visible in the output.
  torch.noGrad(() => {
    for (const m of net.modules()) if (m instanceof torch.nn.BatchNorm2d) m.runningMean?.uniform_(-0.5, 0.5);
  });
  const last = await extractFeatures(backboneEncoder(net, norm), new DataLoader(ds, { batchSize: 4 }));
  const s2 = await extractFeatures(backboneEncoder(net, { ...norm, stage: 0 }), new DataLoader(ds, { batchSize: 4 }));
  assert.equal(net.training, true);
  torch.tidy(() => {
    net.eval();
    const x = torch
      .stack(Array.from({ length: 6 }, (_, i) => torch.tensor(ds.image(i).data, { shape: [8, 8, 3] })))
      .permute(0, 3, 1, 2)
      .float();
    const xn = x.sub(torch.tensor([[[[125]], [[123]], [[114]]]])).div(torch.tensor([[[[63]], [[62]], [[66]]]]));
    const want = torch.noGrad(() => torch.F.adaptiveAvgPool2d(net.forwardFeatures(xn), 1).flatten(1));
    assertClose(last.features, want, 1e-5, 'last stage, pooled');
    assert.deepEqual(last.features.shape, [6, net.numFeatures]);
    assert.deepEqual(s2.features.shape, [6, net.stageChannels[2]]);
    net.train();
  });
  net.dispose();
});

const tinyViT = { embedDim: 16, depth: 2, numHeads: 2, imgSize: 8, patchSize: 4 } as const;
for (const [name, make] of [
  ['VisionTransformer', (outType: ViTOutType) => new VisionTransformer({ ...tinyViT, outType })],
  // BEiT's class token is prepended inside the backbone: the mean must still leave it out.
  ['BEiTViT', (outType: ViTOutType) => new BEiTViT({ ...tinyViT, outType })],
] as const) {
  test(`backboneEncoder: ${name} tokens pooled by class token or by mean of patch tokens`, async () => {
    torch.manualSeed(1);
    const raw = make('raw');
    const cls = make('clsToken');
    const avg = make('avgFeatmap');
    cls.loadStateDict(raw.stateDict());
    avg.loadStateDict(raw.stateDict());
    const ds = randomDataset(4, 8, 3);
    const norm = { mean: [128, 128, 128], std: [64, 64, 64] };
    const run = async (enc: ReturnType<typeof backboneEncoder>) =>
      (await extractFeatures(enc, new DataLoader(ds, { batchSize: 3 }))).features;
    const byCls = await run(backboneEncoder(raw, norm));
    const byAvg = await run(backboneEncoder(raw, { ...norm, pool: 'avg' }));
    assertClose(byCls, await run(backboneEncoder(cls, norm)), 1e-6, 'class token');
    assertClose(byAvg, await run(backboneEncoder(avg, norm)), 1e-6, 'mean patch token');
    assert.ok(byCls.sub(byAvg).abs().max().item() > 1e-3, 'the two poolings differ');
    for (const m of [raw, cls, avg]) m.dispose();
  });
}
