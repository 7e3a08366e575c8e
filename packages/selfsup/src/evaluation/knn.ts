/**
 * Weighted k-nearest-neighbour classification of frozen features (Wu et al. 2018, "Unsupervised
 * Feature Learning via Non-Parametric Instance Discrimination", NPID; the protocol of Caron et al.
 * 2021, DINO, `knn_classifier`, and of MMSelfSup's `knn_eval`):
 *
 *   features are L2-normalised; for a test feature q, the k training features with the largest
 *   cosine similarity sᵢ vote for their class with weight exp(sᵢ / T); the class with the largest
 *   sum is the prediction (top-1), the five largest give top-5.
 *
 * Defaults are MMSelfSup's: k ∈ {10, 20, 100, 200}, T = 0.07. All k are evaluated from one top-k
 * search with the largest k (the neighbours come sorted, so each smaller k is a prefix). Test
 * features are processed in batches, so memory is `batchSize × N_train` similarities at a time.
 * Shapes: features `(N, D)`, labels `(N)` int64.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import { percent, type TopkAccuracy } from './accuracy.js';
import type { LabelledFeatures } from './features.js';

export interface KnnOptions {
  /** Neighbour counts to evaluate (default [10, 20, 100, 200]). */
  k?: number[];
  /** Temperature T of the vote weights exp(sim / T) (default 0.07). */
  temperature?: number;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
  /** Test features per similarity batch (default 256). */
  batchSize?: number;
  /** Called after each similarity batch with the test samples classified so far (of `total`). */
  onProgress?: (p: { done: number; total: number }) => void;
}

/** Accuracies (percent) by k. */
export type KnnResult = Record<number, TopkAccuracy>;

function maxLabel(labels: Tensor): number {
  return labels.numel() === 0 ? -1 : torch.tidy(() => labels.max().item());
}

/** The distinct values of an int label tensor, ascending. */
function classesOf(labels: Tensor): number[] {
  const values = Array.from(labels.toTypedArray() as ArrayLike<number | bigint>, Number);
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * What makes a kNN accuracy meaningless, in words: training labels of a single class (every
 * prediction is that class: 100 % on a test set of that class, whatever the features) and test
 * classes absent from the training labels (never predicted). Empty when neither holds.
 * Labels `(N)` int.
 */
export function knnLabelWarnings(trainLabels: Tensor, testLabels: Tensor): string[] {
  const out: string[] = [];
  const train = classesOf(trainLabels);
  if (train.length === 1)
    out.push(
      `the training labels hold a single class (${train[0]}): kNN predicts it for every sample, so its accuracy says nothing about the features`,
    );
  const known = new Set(train);
  const absent = classesOf(testLabels).filter((c) => !known.has(c));
  if (absent.length > 0 && train.length > 0)
    out.push(
      `test class${absent.length > 1 ? 'es' : ''} ${absent.join(', ')} never occur${absent.length > 1 ? '' : 's'} in the training labels: ` +
        'kNN can never predict them, which lowers the accuracy whatever the features',
    );
  return out;
}

/**
 * Top-1/top-5 accuracy (percent) of the weighted kNN classifier for every k in `opts.k`. Ties in
 * the vote are ranked by class index. Top-5 looks at `min(5, k, numClasses)` classes (DINO's
 * `min(5, k)`). Runs on the train features' device.
 */
export function knnClassify(train: LabelledFeatures, test: LabelledFeatures, opts: KnnOptions = {}): KnnResult {
  const ks = opts.k ?? [10, 20, 100, 200];
  const T = opts.temperature ?? 0.07;
  const bs = opts.batchSize ?? 256;
  const nTrain = train.features.shape[0];
  const nTest = test.features.shape[0];
  if (ks.length === 0 || !ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new RangeError(`knnClassify: k must be a list of positive integers, got [${ks}]`);
  if (!(T > 0)) throw new RangeError(`knnClassify: temperature must be positive, got ${T}`);
  if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`knnClassify: batchSize must be a positive integer, got ${bs}`);
  for (const [name, s] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (s.features.dim() !== 2 || s.labels.dim() !== 1 || s.labels.shape[0] !== s.features.shape[0])
      throw new RangeError(
        `knnClassify: ${name} features must be (N, D) with (N) labels, got [${s.features.shape}] and [${s.labels.shape}]`,
      );
  }
  if (train.features.shape[1] !== test.features.shape[1])
    throw new RangeError(`knnClassify: train features have ${train.features.shape[1]} dims, test ${test.features.shape[1]}`);
  const kMax = Math.max(...ks);
  if (kMax > nTrain) throw new RangeError(`knnClassify: k = ${kMax} exceeds the ${nTrain} training samples`);
  if (torch.tidy(() => train.labels.min().item()) < 0) throw new RangeError('knnClassify: training labels must be ≥ 0');
  const numClasses = opts.numClasses ?? Math.max(maxLabel(train.labels), maxLabel(test.labels)) + 1;
  if (maxLabel(train.labels) >= numClasses) throw new RangeError(`knnClassify: a training label is ≥ numClasses ${numClasses}`);

  const top1 = new Array<number>(ks.length).fill(0);
  const top5 = new Array<number>(ks.length).fill(0);
  torch.tidy(() =>
    torch.noGrad(() => {
      const device = train.features.device;
      const bank = F.normalize(train.features.float(), { dim: 1 }).t();
      const bankLabels = train.labels.to({ device, dtype: 'int64' });
      for (let s = 0; s < nTest; s += bs) {
        torch.tidy(() => {
          const b = Math.min(bs, nTest - s);
          const q = F.normalize(test.features.narrow(0, s, b).to({ device, dtype: 'float32' }), { dim: 1 });
          const target = test.labels.narrow(0, s, b).to({ device, dtype: 'int64' }).unsqueeze(1);
          const { values, indices } = q.mm(bank).topk(kMax, { dim: 1, largest: true, sorted: true });
          const weights = values.div(T).exp();
          const neighbours = bankLabels.indexSelect(0, indices.flatten()).view(b, kMax);
          ks.forEach((k, j) => {
            const votes = torch
              .zeros([b, numClasses], { device })
              .scatterAdd(1, neighbours.narrow(1, 0, k), weights.narrow(1, 0, k));
            const cols = Math.min(5, k, numClasses);
            const ranked = votes.sort({ dim: 1, descending: true, stable: true }).indices.narrow(1, 0, cols);
            const hit = ranked.eq(target);
            top1[j] += hit.narrow(1, 0, 1).sum().item();
            top5[j] += hit.sum().item();
          });
        });
        opts.onProgress?.({ done: Math.min(s + bs, nTest), total: nTest });
      }
    }),
  );
  const out: KnnResult = {};
  ks.forEach((k, j) => {
    out[k] = { top1: percent(top1[j], nTest), top5: percent(top5[j], nTest) };
  });
  return out;
}
