/**
 * k-means (Lloyd's algorithm) on libtorch tensors, as faiss's `Clustering` runs it for DeepCluster
 * (Caron et al. 2018, arXiv:1807.05520; MMSelfSup's `run_kmeans`): the initial centroids are `k`
 * distinct points drawn by a seeded permutation, each of `niter` iterations assigns every point to
 * its nearest centroid (squared L2) and moves each centroid to the mean of its points, and a
 * cluster left empty takes half of a large cluster (faiss's `split_clusters`: the centroid of a
 * cluster chosen with probability ∝ its size − 1 is copied and both copies are pushed apart by a
 * relative 1/1024). With more than `k · maxPointsPerCentroid` points the centroids are trained on a
 * seeded subsample of that size, then every point is assigned. Points are `(N, D)`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { permutation } from '../data/loader/samplers.js';
import { Rng } from '../data/transforms/rng.js';

export interface KMeansOptions {
  /** Number of clusters. */
  k: number;
  /** Lloyd iterations. Default 20 (MMSelfSup's `clus.niter`). */
  niter?: number;
  /** Seeds the initial centroids, the subsample and the empty-cluster splits. Default 0. */
  seed?: number;
  /** Train on at most `k ·` this many points. Default 256 (faiss's; DeepCluster uses 10 000 000). */
  maxPointsPerCentroid?: number;
  /** `(k, D)` initial centroids instead of the seeded draw (to compare with another implementation). */
  init?: Tensor;
}

export interface KMeansResult {
  /** `(k, D)` the final centroids, in the points' dtype. */
  centroids: Tensor;
  /** `(N)` int64: the nearest final centroid of every point. */
  labels: Tensor;
  /** Σ squared distance of every point to its final centroid (scikit-learn's `inertia_`). */
  objective: number;
  /** The objective of each iteration's assignment (faiss's `obj`). */
  history: number[];
  /** Empty clusters re-seeded by splitting, over all iterations. */
  splits: number;
}

/** Split push-apart factor (faiss's `EPS`). */
const SPLIT_EPS = 1 / 1024;

/**
 * Nearest centroid of every row of `x (N, D)` among `c (k, D)`: `(N)` int64 labels and `(N)` squared
 * distances. Computed in row blocks (‖x‖² − 2x·cᵀ + ‖c‖²) so the `(N, k)` distances never exist whole.
 */
export function assignNearest(x: Tensor, c: Tensor): { labels: Tensor; dist: Tensor } {
  const [n] = x.shape;
  const k = c.shape[0];
  const block = Math.max(1, Math.floor(2 ** 24 / Math.max(1, k)));
  return torch.tidy(() =>
    torch.noGrad(() => {
      const cn = c.pow(2).sum(1);
      const labels: Tensor[] = [];
      const dists: Tensor[] = [];
      for (let s = 0; s < n; s += block) {
        const xb = x.narrow(0, s, Math.min(block, n - s));
        const d = xb.pow(2).sum(1, { keepdim: true }).sub(xb.mm(c.t()).mul(2)).add(cn);
        const idx = d.argmin(1);
        labels.push(idx);
        dists.push(d.gather(1, idx.unsqueeze(1)).squeeze(1).clampMin(0));
      }
      return { labels: torch.cat(labels), dist: torch.cat(dists) };
    }),
  );
}

/** Runs k-means on `x (N, D)` (see the module doc); the result's tensors are the caller's to free. */
export function kmeans(x: Tensor, o: KMeansOptions): KMeansResult {
  if (x.dim() !== 2) throw new RangeError(`kmeans: expected points (N, D), got shape [${x.shape}]`);
  const [n, d] = x.shape;
  const { k } = o;
  const niter = o.niter ?? 20;
  const seed = o.seed ?? 0;
  const maxPer = o.maxPointsPerCentroid ?? 256;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`kmeans: k must be a positive integer, got ${k}`);
  if (k > n) throw new RangeError(`kmeans: k = ${k} clusters need at least ${k} points, got ${n}`);
  if (!Number.isInteger(niter) || niter < 0) throw new RangeError(`kmeans: niter must be a non-negative integer, got ${niter}`);
  if (!(maxPer >= 1)) throw new RangeError(`kmeans: maxPointsPerCentroid must be ≥ 1, got ${maxPer}`);
  if (o.init && (o.init.dim() !== 2 || o.init.shape[0] !== k || o.init.shape[1] !== d))
    throw new RangeError(`kmeans: init must be (k, D) = (${k}, ${d}), got shape [${o.init.shape}]`);

  return torch.tidy(() =>
    torch.noGrad(() => {
      const points = x.detach();
      // faiss trains on a random subsample when there are many points per centroid.
      const train =
        n > k * maxPer
          ? points.indexSelect(0, torch.tensor(permutation(n, seed + 1).slice(0, Math.floor(k * maxPer)), { dtype: 'int64' }))
          : points;
      const nt = train.shape[0];
      let centroids = o.init
        ? o.init.to({ dtype: points.dtype, device: points.device }).clone()
        : train.indexSelect(0, torch.tensor(permutation(nt, seed).slice(0, k), { dtype: 'int64', device: points.device }));
      const history: number[] = [];
      const rng = new Rng(seed + 1234);
      let splits = 0;
      for (let it = 0; it < niter; it++) {
        const next = torch.tidy(() => {
          const { labels, dist } = assignNearest(train, centroids);
          history.push(dist.sum().item());
          const counts = torch.ops.aten.bincount(labels, null, k);
          const sums = torch.zeros([k, d], { dtype: points.dtype, device: points.device }).indexAdd(0, labels, train);
          const sizes = (counts.toList() as number[]).slice();
          // Empty clusters keep a zero sum; their centroids are replaced by the splits below.
          let c = sums.div(counts.clampMin(1).unsqueeze(1).to({ dtype: points.dtype }));
          if (sizes.some((s) => s === 0)) {
            const r = splitEmpty(c, sizes, nt, rng);
            c = r.centroids;
            splits += r.splits;
          }
          return torch.keep(c);
        });
        centroids.dispose();
        centroids = next;
      }
      const { labels, dist } = assignNearest(points, centroids);
      return torch.keep({ centroids, labels, objective: dist.sum().item(), history, splits });
    }),
  );
}

/**
 * faiss's `split_clusters`: every empty cluster ci takes a copy of a cluster cj (cj found by walking
 * the clusters cyclically from 0, accepting each with probability (size − 1)/(N − k)); even
 * coordinates of ci are scaled by 1 + ε and odd ones by 1 − ε, cj the opposite, and cj's size is
 * halved between them. Returns new centroids.
 */
function splitEmpty(c: Tensor, sizes: number[], n: number, rng: Rng): { centroids: Tensor; splits: number } {
  const k = sizes.length;
  const d = c.shape[1];
  const even = torch.arange(0, d, 1, { dtype: 'int64', device: c.device }).remainder(2).eq(0);
  const up = torch.where(even, 1 + SPLIT_EPS, 1 - SPLIT_EPS).to({ dtype: c.dtype });
  const down = torch.where(even, 1 - SPLIT_EPS, 1 + SPLIT_EPS).to({ dtype: c.dtype });
  const rows = c.unbind(0).map((r) => r.clone());
  let splits = 0;
  for (let ci = 0; ci < k; ci++) {
    if (sizes[ci] !== 0) continue;
    // Nothing to split when no cluster has two points (duplicated points): the centroid stays.
    if (!sizes.some((s) => s > 1)) break;
    let cj = 0;
    for (;;) {
      const p = (sizes[cj] - 1) / (n - k);
      if (rng.random() < p) break;
      cj = (cj + 1) % k;
    }
    const src = rows[cj];
    rows[ci] = src.mul(up);
    rows[cj] = src.mul(down);
    sizes[ci] = Math.floor(sizes[cj] / 2);
    sizes[cj] -= sizes[ci];
    splits++;
  }
  return { centroids: torch.stack(rows), splits };
}
