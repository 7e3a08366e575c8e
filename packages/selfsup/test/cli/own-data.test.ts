import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizePipeline, useImageFolder } from '../../src/cli/own-data.js';
import type { ConfigObject } from '../../src/engine/config/merge.js';

const view = [
  { type: 'RandomResizedCrop', size: 32, scale: [0.2, 1] },
  { type: 'RandomApply', transforms: [{ type: 'ColorJitter', brightness: 0.4 }], prob: 0.8 },
];

test('--size sets every crop/resize step of a pipeline, however nested, and nothing else', () => {
  const pipeline = {
    type: 'MultiView',
    numViews: [1, 1],
    transforms: [
      view,
      [
        { type: 'Resize', size: 36 },
        { type: 'CenterCrop', size: 32 },
        { type: 'SimMIMMaskGenerator', inputSize: 192 },
      ],
    ],
  };
  const r = resizePipeline(pipeline, 16);
  assert.equal(r.count, 3);
  assert.deepEqual(r.pipeline, {
    type: 'MultiView',
    numViews: [1, 1],
    transforms: [
      [{ ...view[0], size: 16 }, view[1]],
      [
        { type: 'Resize', size: 16 },
        { type: 'CenterCrop', size: 16 },
        { type: 'SimMIMMaskGenerator', inputSize: 192 },
      ],
    ],
  });
  // The input is untouched.
  assert.equal(pipeline.transforms[0][0].size, 32);
});

test('--data replaces the dataset keeping the pipeline; a 1-channel recipe reads grayscale; the kNN monitor goes off', () => {
  const raw = {
    model: { type: 'SimCLR', backbone: { type: 'ResNet', inChannels: 1 } },
    trainDataloader: { batchSize: 4, dataset: { type: 'FashionMNIST', split: 'train', numSamples: 100, pipeline: view } },
    knnMonitor: { interval: 1 },
  } as unknown as ConfigObject;
  const notes = useImageFolder(raw, '/data/imgs', 24);
  assert.deepEqual((raw.trainDataloader as ConfigObject).dataset, {
    type: 'ImageFolder',
    root: '/data/imgs',
    channels: 1,
    pipeline: [{ ...view[0], size: 24 }, view[1]],
  });
  assert.equal(raw.knnMonitor, null);
  assert.equal(notes.length, 2);
  const noCrop = {
    model: {},
    trainDataloader: { batchSize: 4, dataset: { type: 'X', pipeline: [view[1]] } },
  } as unknown as ConfigObject;
  assert.throws(() => useImageFolder(noCrop, '/d', 24), /--size: the config's pipeline has no crop or resize step/);
});
