/**
 * ODC's memory (Zhan et al. 2020) against hand computations: the samples-memory update and
 * relabelling, the centroid update (empty clusters keep theirs), the re-assignment of small
 * clusters with the 2-means split of the largest one, and ODC's loss re-weighting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ODC, ODCMemory } from '../../../src/index.js';
import { assertClose } from '../../helpers.js';

const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
const f32 = (x: number[][] | number[]) => torch.tensor(x, { dtype: 'float32' });
const i64 = (x: number[]) => torch.tensor(x, { dtype: 'int64' });

function memory(k: number, minCluster: number, features: number[][], labels: number[]): ODCMemory {
  const m = new ODCMemory({ type: 'ODCMemory', featDim: 2, momentum: 0.5, numClasses: k, minCluster });
  m.resize(features.length);
  m.initMemory(f32(features), i64(labels));
  return m;
}

test('initMemory normalises the rows, computes the centroids and refuses an empty cluster', () => {
  const m = memory(
    2,
    1,
    [
      [3, 4],
      [0, 2],
      [-1, 0],
    ],
    [0, 0, 1],
  );
  assertClose(
    m.featureBank,
    [
      [0.6, 0.8],
      [0, 1],
      [-1, 0],
    ],
    1e-6,
  );
  assertClose(
    m.centroids,
    [
      [0.3, 0.9],
      [-1, 0],
    ],
    1e-6,
  );
  const bad = new ODCMemory({ type: 'ODCMemory', featDim: 2, momentum: 0.5, numClasses: 3, minCluster: 1 });
  bad.resize(2);
  assert.throws(
    () =>
      bad.initMemory(
        f32([
          [1, 0],
          [0, 1],
        ]),
        i64([0, 2]),
      ),
    /1 empty clusters of 3/,
  );
  const sized = new ODCMemory({ type: 'ODCMemory', length: 1281167, featDim: 2, momentum: 0.5, numClasses: 3, minCluster: 1 });
  assert.throws(() => sized.resize(50000, 'ODC'), /ODC: memoryBank\.length is 1281167 but the training set has 50000 images/);
});

test('updateSamplesMemory: momentum average, renormalisation, argmax relabelling and the change ratio', () => {
  // Centroids (1, 0) and (0, 1) after init.
  const m = memory(
    2,
    1,
    [
      [1, 0],
      [0, 1],
      [1, 0],
    ],
    [0, 1, 0],
  );
  // Row 0: 0.5·(1, 0) + 0.5·(0, 1) → (1, 1)/√2 (a tie: argmax takes cluster 0, unchanged).
  // Row 2: 0.5·(1, 0) + 0.5·normalize(−1, 4) → x = 0.5 − 0.5/√17, y = 2/√17 > x: moves to cluster 1.
  const ratio = m.updateSamplesMemory(
    i64([0, 2]),
    f32([
      [0, 5],
      [-1, 4],
    ]),
  );
  const s17 = Math.sqrt(17);
  const [x, y] = [0.5 - 0.5 / s17, 2 / s17];
  const n = Math.hypot(x, y);
  assertClose(
    m.featureBank,
    [
      [Math.SQRT1_2, Math.SQRT1_2],
      [0, 1],
      [x / n, y / n],
    ],
    1e-6,
  );
  assert.deepEqual(m.labelBank.toList(), [0, 1, 1]);
  assert.equal(ratio, 0.5);
});

test('updateCentroidsMemory: every centroid its members’ mean, an empty cluster keeps its own, or only the listed ones', () => {
  const m = memory(
    3,
    1,
    [
      [1, 0],
      [0, 1],
      [-1, 0],
    ],
    [0, 1, 2],
  );
  torch.noGrad(() => m.labelBank.copy_(i64([0, 0, 1])));
  m.updateCentroidsMemory([1]);
  assertClose(
    m.centroids,
    [
      [1, 0],
      [-1, 0],
      [-1, 0],
    ],
    1e-6,
  );
  m.updateCentroidsMemory();
  assertClose(
    m.centroids,
    [
      [0.5, 0.5],
      [-1, 0],
      [-1, 0],
    ],
    1e-6,
  );
});

test('dealWithSmallClusters: small clusters go to their nearest other centroid, then the largest cluster is split by 2-means', () => {
  torch.manualSeed(0);
  // Cluster 0: two tight pairs near 0° and 90°; cluster 1: two points near 180°; cluster 2: one point at 170° (< minCluster 2).
  const feats = [deg(0), deg(2), deg(88), deg(90), deg(180), deg(178), deg(170)];
  const m = memory(3, 2, feats, [0, 0, 0, 0, 1, 1, 2]);
  const c1 = m.centroids.narrow(0, 1, 1).clone();
  assert.deepEqual(m.dealWithSmallClusters(), [2]);
  const l = m.labelBank.toList() as number[];
  assert.equal(l[6], 1, 'the lone point joins the 180° cluster');
  assert.deepEqual([l[4], l[5]], [1, 1]);
  assert.equal(l[0], l[1]);
  assert.equal(l[2], l[3]);
  assert.deepEqual([l[0], l[2]].sort(), [0, 2], 'the 0°/90° cluster is split between 0 and the emptied 2');
  // Centroids of the two halves are their members' means; cluster 1's is not recomputed (MMSelfSup updates only the split pair).
  const mean = (a: number[], b: number[]) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  assertClose(m.centroids.select(0, l[0]), mean(feats[0], feats[1]), 1e-6);
  assertClose(m.centroids.select(0, l[2]), mean(feats[2], feats[3]), 1e-6);
  assertClose(m.centroids.narrow(0, 1, 1), c1, 1e-7);
  assert.deepEqual(m.histogram(), [2, 3, 2]);
  assert.deepEqual(m.dealWithSmallClusters(), [], 'nothing left to do');
});

test('ODC.setReweight: loss_weight ∝ (1/(n_c + 1e-10))^pow, summing to 1', () => {
  const odc = ALGORITHMS.buildAs(
    {
      type: 'ODC',
      backbone: { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true },
      neck: { type: 'ODCNeck', inChannels: 64, hidChannels: 8, outChannels: 4 },
      head: { type: 'ClsHead', inChannels: 4, numClasses: 3 },
      memoryBank: { type: 'ODCMemory', featDim: 4, momentum: 0.5, numClasses: 3, minCluster: 1 },
    },
    'model',
    ODC,
    'test',
  );
  odc.setReweight(0.5, i64([0, 0, 0, 0, 1]));
  // Sizes 4, 1, 0 → 1/2, 1, 1e5 (the empty class's 1/1e-10 under the square root).
  const w = [0.5, 1, 1e5];
  const s = w[0] + w[1] + w[2];
  assertClose(
    odc.lossWeight,
    w.map((v) => v / s),
    1e-7,
  ); // float32 buffer
  assert.throws(
    () =>
      ALGORITHMS.build(
        {
          type: 'ODC',
          backbone: { type: 'ResNet', depth: 18 },
          neck: { type: 'ODCNeck', inChannels: 512, hidChannels: 8, outChannels: 4 },
          head: { type: 'ClsHead', inChannels: 4, numClasses: 3 },
          memoryBank: { type: 'ODCMemory', featDim: 4, momentum: 0.5, numClasses: 5, minCluster: 1 },
        },
        'model',
      ),
    /memoryBank\.numClasses \(5\) must equal head\.numClasses \(3\)/,
  );
  odc.dispose();
});
