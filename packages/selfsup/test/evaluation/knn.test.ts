import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { knnClassify, knnLabelWarnings } from '../../src/evaluation/knn.js';
import { py } from '../helpers.js';

/** DINO's `knn_classifier` (eval_knn.py), run by python3-torch on the same features. */
const DINO_KNN = `
import torch.nn.functional as Fn
def knn_classifier(train_features, train_labels, test_features, test_labels, k, T, num_classes, num_chunks):
    top1, top5, total = 0.0, 0.0, 0
    train_features = train_features.t()
    num_test_images = test_labels.shape[0]
    imgs_per_chunk = num_test_images // num_chunks
    retrieval_one_hot = torch.zeros(k, num_classes)
    for idx in range(0, num_test_images, imgs_per_chunk):
        features = test_features[idx : min((idx + imgs_per_chunk), num_test_images), :]
        targets = test_labels[idx : min((idx + imgs_per_chunk), num_test_images)]
        batch_size = targets.shape[0]
        similarity = torch.mm(features, train_features)
        distances, indices = similarity.topk(k, largest=True, sorted=True)
        candidates = train_labels.view(1, -1).expand(batch_size, -1)
        retrieved_neighbors = torch.gather(candidates, 1, indices)
        retrieval_one_hot.resize_(batch_size * k, num_classes).zero_()
        retrieval_one_hot.scatter_(1, retrieved_neighbors.view(-1, 1), 1)
        distances_transform = distances.clone().div_(T).exp_()
        probs = torch.sum(torch.mul(retrieval_one_hot.view(batch_size, -1, num_classes), distances_transform.view(batch_size, -1, 1)), 1)
        # DINO sorts with probs.sort(1, True); a stable sort fixes the order of tied classes.
        _, predictions = probs.sort(dim=1, descending=True, stable=True)
        correct = predictions.eq(targets.data.view(-1, 1))
        top1 = top1 + correct.narrow(1, 0, 1).sum().item()
        top5 = top5 + correct.narrow(1, 0, min(5, k)).sum().item()
        total += targets.size(0)
    return top1 * 100.0 / total, top5 * 100.0 / total
trf = Fn.normalize(torch.tensor(D['trf'], dtype=torch.float32), dim=1, p=2)
tef = Fn.normalize(torch.tensor(D['tef'], dtype=torch.float32), dim=1, p=2)
trl = torch.tensor(D['trl']); tel = torch.tensor(D['tel'])
OUT = [{str(k): knn_classifier(trf, trl, tef, tel, k, T, D['C'], 7) for k in D['ks']} for T in D['Ts']]
`;

test('knnClassify matches DINO knn_classifier (python3-torch) for several k in one pass', () => {
  torch.manualSeed(7);
  const C = 20;
  const [nTrain, nTest, dim] = [400, 70, 16];
  torch.tidy(() => {
    // Clustered features, so accuracies are neither 0 nor 100 and the neighbour order matters.
    const centres = torch.randn([C, dim]);
    const trl = torch.randint(0, C, [nTrain]);
    const tel = torch.randint(0, C, [nTest]);
    const trf = centres.indexSelect(0, trl).add(torch.randn([nTrain, dim]).mul(1.8));
    const tef = centres.indexSelect(0, tel).add(torch.randn([nTest, dim]).mul(1.8));
    const ks = [1, 3, 10, 20, 100];
    const Ts = [0.07, 0.5];
    const ref = py<Record<string, [number, number]>[]>(DINO_KNN, {
      trf: trf.toList(),
      tef: tef.toList(),
      trl: trl.toList(),
      tel: tel.toList(),
      ks,
      Ts,
      C,
    });
    Ts.forEach((T, i) => {
      const before = torch.memory().liveTensors;
      const ours = knnClassify(
        { features: trf, labels: trl },
        { features: tef, labels: tel },
        { k: ks, temperature: T, numClasses: C, batchSize: 16 },
      );
      assert.equal(torch.memory().liveTensors, before, 'knnClassify frees everything it makes');
      for (const k of ks) {
        assert.equal(ours[k].top1, ref[i][String(k)][0], `T=${T} k=${k} top-1`);
        assert.equal(ours[k].top5, ref[i][String(k)][1], `T=${T} k=${k} top-5`);
      }
      // Not a degenerate case: both accuracies are informative (chance is 5% / 25%).
      assert.ok(ours[20].top1 > 10 && ours[20].top5 < 100, `k=20: ${JSON.stringify(ours[20])}`);
    });
  });
});

test('knnClassify: hand-worked 2-D case, where the temperature decides the vote', () => {
  const deg = Math.PI / 180;
  // Training points (any length: only directions count) and one test point at 20°, class 1.
  //   a = (1, 0)            class 0, cos(20°) = 0.9397 to the test point
  //   c = 2·(cos50°, sin50°) class 1, cos(30°) = 0.8660
  //   b = (0, 3)            class 1, cos(70°) = 0.3420
  //   d = (−1, 0)           class 0, cos(160°) = −0.9397
  const train = {
    features: torch.tensor([
      [1, 0],
      [0, 3],
      [2 * Math.cos(50 * deg), 2 * Math.sin(50 * deg)],
      [-1, 0],
    ]),
    labels: torch.tensor([0, 1, 1, 0], { dtype: 'int64' }),
  };
  const test1 = {
    features: torch.tensor([[Math.cos(20 * deg), Math.sin(20 * deg)]]),
    labels: torch.tensor([1], { dtype: 'int64' }),
  };
  const sA = Math.cos(20 * deg);
  const sC = Math.cos(30 * deg);
  const sB = Math.cos(70 * deg);
  // k = 3, T = 1: class 1 gets e^0.866 + e^0.342 = 3.79 > class 0's e^0.940 = 2.56 → correct.
  assert.ok(Math.exp(sC) + Math.exp(sB) > Math.exp(sA));
  // k = 3, T = 0.07: e^(0.940/0.07) = 6.8e5 outweighs e^(0.866/0.07) + e^(0.342/0.07) = 2.4e5 → wrong.
  assert.ok(Math.exp(sC / 0.07) + Math.exp(sB / 0.07) < Math.exp(sA / 0.07));
  const warm = knnClassify(train, test1, { k: [1, 2, 3, 4], temperature: 1 });
  const cold = knnClassify(train, test1, { k: [1, 2, 3, 4], temperature: 0.07 });
  // k = 1: the nearest (a, class 0) → wrong; top-5 looks at min(5, k, 2) = 1 class, so also wrong.
  assert.deepEqual(warm[1], { top1: 0, top5: 0 });
  // k = 2: a (0.940) beats c (0.866) at any T → wrong; with 2 classes top-5 always holds.
  assert.deepEqual(warm[2], { top1: 0, top5: 100 });
  assert.deepEqual(cold[2], { top1: 0, top5: 100 });
  assert.deepEqual(warm[3], { top1: 100, top5: 100 });
  assert.deepEqual(cold[3], { top1: 0, top5: 100 });
  // k = 4 adds d (class 0, weight e^(−0.940/T)): T = 1 → 2.56 + 0.39 = 2.95 < 3.79, still correct.
  assert.ok(Math.exp(sC) + Math.exp(sB) > Math.exp(sA) + Math.exp(-sA));
  assert.deepEqual(warm[4], { top1: 100, top5: 100 });
  for (const t of [train.features, train.labels, test1.features, test1.labels]) t.dispose();
});

test('knnClassify rejects k larger than the training set and bad shapes', () => {
  torch.tidy(() => {
    const s = { features: torch.randn([5, 3]), labels: torch.tensor([0, 1, 0, 1, 0], { dtype: 'int64' }) };
    assert.throws(() => knnClassify(s, s, { k: [6] }), /exceeds the 5 training samples/);
    assert.throws(() => knnClassify(s, { features: torch.randn([2, 4]), labels: torch.tensor([0, 1]) }, { k: [1] }), /dims/);
  });
});

test('kNN label warnings: a single training class (100 % for free) and test classes absent from training', () => {
  torch.tidy(() => {
    const lab = (xs: number[]) => torch.tensor(xs, { dtype: 'int64' });
    // One class everywhere: kNN reports 100 % whatever the features are.
    const train = { features: torch.randn([6, 4]), labels: lab([2, 2, 2, 2, 2, 2]) };
    const test1 = { features: torch.randn([3, 4]), labels: lab([2, 2, 2]) };
    assert.equal(knnClassify(train, test1, { k: [3] })[3].top1, 100);
    const single = knnLabelWarnings(train.labels, test1.labels);
    assert.equal(single.length, 1);
    assert.match(single[0], /single class \(2\)/);
    // Classes 1 and 3 are never in the training labels.
    const absent = knnLabelWarnings(lab([0, 0, 2, 2]), lab([0, 1, 3, 2]));
    assert.equal(absent.length, 1);
    assert.match(absent[0], /test classes 1, 3 never occur in the training labels/);
    // Both at once, and nothing for a well-formed split.
    assert.equal(knnLabelWarnings(lab([4, 4]), lab([4, 5])).length, 2);
    assert.deepEqual(knnLabelWarnings(lab([0, 1, 2, 1]), lab([2, 0])), []);
  });
});
