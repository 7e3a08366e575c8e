/**
 * k-means (Lloyd 1982) on libtorch tensors, with k-means++ seeding (Arthur & Vassilvitskii 2007):
 * what ODC (Zhan et al. 2020) needs to initialise its memory's labels and to split its largest
 * cluster. Points are rows of `x (N, D)`; random draws come from the default generator (seeded,
 * saved with checkpoints). A cluster left empty by an assignment takes the point farthest from its
 * centroid (scikit-learn's rule), so every cluster ends non-empty when N ≥ k.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

export interface KMeansOptions {
  /** Lloyd iterations. Default 20 (faiss's and MMSelfSup's). */
  iters?: number;
}

export interface KMeansResult {
  /** `(k, D)` float centroids. */
  centroids: Tensor;
  /** `(N)` int64 cluster of each point. */
  labels: Tensor;
  /** Σ‖x − c(x)‖² of the final assignment. */
  inertia: number;
}

/** Squared distances `(N, k)` of the rows of `x` to the rows of `c`. */
function sqDist(x: Tensor, c: Tensor): Tensor {
  return torch.tidy(() =>
    x.square().sum(1, { keepdim: true }).add(c.square().sum(1).unsqueeze(0)).sub(x.matmul(c.t()).mul(2)).clampMin(0),
  );
}

/** k-means++ seeds: the first point uniform, each next one with probability ∝ its squared distance to the nearest seed. */
export function kmeansPlusPlus(x: Tensor, k: number): Tensor {
  return torch.tidy(() => {
    const n = x.shape[0];
    const chosen = [torch.randint(0, n, [1]).item()];
    let d2 = sqDist(x, x.narrow(0, chosen[0], 1)).squeeze(1);
    for (let i = 1; i < k; i++) {
      const total = d2.sum().item();
      // All remaining points coincide with a seed: any unused index will do.
      const next =
        total > 0
          ? torch.ops.aten.multinomial(d2.div(total), 1, false).item()
          : ([...Array(n).keys()].find((j) => !chosen.includes(j)) ?? 0);
      chosen.push(next);
      d2 = torch.minimum(d2, sqDist(x, x.narrow(0, next, 1)).squeeze(1));
    }
    return x.indexSelect(0, torch.tensor(chosen, { dtype: 'int64', device: x.device })).clone();
  });
}

/** One Lloyd assignment: labels `(N)` and inertia of `x` against centroids `c`. */
function assign(x: Tensor, c: Tensor): { labels: Tensor; inertia: number; d2: Tensor } {
  const d = sqDist(x, c);
  const { values, indices } = d.min(1);
  return { labels: indices, inertia: values.sum().item(), d2: values };
}

/**
 * Clusters the rows of `x (N, D)` into `k` groups. `init` gives the starting centroids `(k, D)`
 * (default k-means++). Each iteration assigns every point to its nearest centroid, refills empty
 * clusters with the farthest points, then moves each centroid to its points' mean.
 */
export function kmeans(x: Tensor, k: number, opts: KMeansOptions & { init?: Tensor } = {}): KMeansResult {
  const n = x.shape[0];
  if (x.dim() !== 2) throw new RangeError(`kmeans: expected (N, D) points, got shape [${x.shape}]`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw new RangeError(`kmeans: k must be an integer in [1, ${n}] (the number of points), got ${k}`);
  const iters = opts.iters ?? 20;
  return torch.noGrad(() =>
    torch.tidy(() => {
      let c = opts.init ? opts.init.to({ dtype: x.dtype }).clone() : kmeansPlusPlus(x, k);
      if (c.shape[0] !== k || c.shape[1] !== x.shape[1])
        throw new RangeError(`kmeans: init must be (${k}, ${x.shape[1]}), got [${c.shape}]`);
      let labels = torch.zeros([n], { dtype: 'int64', device: x.device });
      for (let it = 0; it < iters; it++) {
        const a = assign(x, c);
        labels = fillEmpty(a.labels, a.d2, k);
        const counts = torch
          .zeros([k], { dtype: x.dtype, device: x.device })
          .indexAdd(0, labels, torch.ones([n], { dtype: x.dtype, device: x.device }));
        const sums = torch.zeros([k, x.shape[1]], { dtype: x.dtype, device: x.device }).indexAdd(0, labels, x);
        c = sums.div(counts.unsqueeze(1));
      }
      const last = assign(x, c);
      labels = last.labels;
      return { centroids: c, labels, inertia: last.inertia };
    }),
  );
}

/** Gives each empty cluster the point farthest from its centroid among clusters of 2+ points. */
function fillEmpty(labels: Tensor, d2: Tensor, k: number): Tensor {
  const counts = torch.ops.aten.bincount(labels, null, k).toList() as number[];
  const empty = counts.flatMap((c, i) => (c === 0 ? [i] : []));
  if (empty.length === 0) return labels;
  const out = labels.clone();
  const order = d2.argsort({ descending: true }).toList() as number[];
  const lab = out.toList() as number[];
  let p = 0;
  for (const e of empty) {
    while (counts[lab[order[p]]] < 2) p++;
    const j = order[p++];
    counts[lab[j]]--;
    counts[e]++;
    lab[j] = e;
  }
  return torch.tensor(lab, { dtype: 'int64', device: labels.device });
}
