/**
 * 2-D embeddings of features for plots: t-SNE (van der Maaten & Hinton 2008, "Visualizing Data
 * using t-SNE"; MMSelfSup's `visualize_tsne.py`) and UMAP (McInnes et al. 2018, "UMAP: Uniform
 * Manifold Approximation and Projection"), computed by `@saehrimnir/druidjs` with its seeded
 * generator, so the same features, options and seed give the same coordinates.
 *
 * Both methods as implemented there are exact: O(N²) time and memory per iteration, so features
 * are subsampled to `maxPoints` rows first (class-balanced when labels are given).
 * Input `(N, D)`; output `coords` holds `(x, y)` of the kept rows, row-major.
 */
import { TSNE, UMAP } from '@saehrimnir/druidjs';
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import { Rng } from '../data/transforms/rng.js';

/** Default optimisation iterations: MMSelfSup's `n_iter` for t-SNE, druidjs's (umap-learn's for small data) for UMAP. */
export const EMBED_ITERATIONS = { tsne: 1000, umap: 350 } as const;

export interface Embed2dOptions {
  method: 'tsne' | 'umap';
  /** Seeds the subsampling and the embedding (default 0). */
  seed?: number;
  /** t-SNE perplexity (default 30, MMSelfSup's), capped at (N − 1)/3 for small N. */
  perplexity?: number;
  /** t-SNE learning rate (druidjs's ε, default 10). */
  learningRate?: number;
  /** UMAP neighbourhood size (default 15, capped at N − 1). */
  nNeighbors?: number;
  /** UMAP minimum distance between embedded points (default 0.1, umap-learn's). */
  minDist?: number;
  /** Optimisation iterations (default 1000 for t-SNE, MMSelfSup's `n_iter`; 350 for UMAP). */
  iterations?: number;
  /** At most this many rows are embedded (default 3000). */
  maxPoints?: number;
  /** Labels `(N)`: subsampling then keeps classes as balanced as their sizes allow. */
  labels?: Tensor | ArrayLike<number>;
  /** L2-normalise the features first (the cosine geometry kNN uses). Default false. */
  l2Normalize?: boolean;
  /**
   * Called after each optimisation iteration with the iterations done (of `total`). The first call
   * also covers the set-up (t-SNE's perplexity search, UMAP's neighbour graph), which druidjs runs
   * inside the first step.
   */
  onIteration?: (p: { done: number; total: number }) => void;
}

export interface Embedding2d {
  /** `2·M` coordinates `(x₀, y₀, x₁, y₁, …)` of the M kept rows. */
  coords: Float64Array;
  /** The kept rows of the input, ascending. */
  indices: number[];
}

/**
 * Up to `max` of `n` row indices, ascending. With labels: classes take turns (in label order),
 * each giving its next row of a seeded shuffle, until `max` rows are taken, so every class gets
 * ⌊max/classes⌋ rows or all it has. Without labels: the first `max` rows of a seeded shuffle.
 */
export function subsampleIndices(n: number, max: number, seed: number, labels?: ArrayLike<number>): number[] {
  if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`subsampleIndices: max must be a positive integer, got ${max}`);
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const order = new Rng(seed).permutation(n);
  if (!labels) return order.slice(0, max).sort((a, b) => a - b);
  if (labels.length !== n) throw new RangeError(`subsampleIndices: ${labels.length} labels for ${n} rows`);
  const byClass = new Map<number, number[]>();
  for (const i of order) {
    const c = labels[i];
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const queues = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
  const out: number[] = [];
  for (let round = 0; out.length < max; round++) {
    for (const q of queues) {
      if (round < q.length && out.length < max) out.push(q[round]);
    }
  }
  return out.sort((a, b) => a - b);
}

/** 2-D t-SNE or UMAP coordinates of (a subsample of) `features (N, D)`. */
export function embed2d(features: Tensor, opts: Embed2dOptions): Embedding2d {
  if (features.dim() !== 2) throw new RangeError(`embed2d: expected (N, D) features, got shape [${features.shape}]`);
  const n = features.shape[0];
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`embed2d: seed must be a non-negative integer, got ${seed}`);
  const given = opts.labels;
  const labels = given instanceof torch.Tensor ? (torch.tidy(() => given.flatten().toList()) as number[]) : given;
  const indices = subsampleIndices(n, opts.maxPoints ?? 3000, seed, labels);
  const m = indices.length;
  if (m < 3) throw new RangeError(`embed2d: needs at least 3 points, got ${m}`);
  const flat = torch.tidy(() => {
    let x = features.indexSelect(0, torch.tensor(Int32Array.from(indices)).to({ device: features.device, dtype: 'int64' }));
    if (opts.l2Normalize) x = F.normalize(x.float(), { dim: 1 });
    return x.to({ device: 'cpu', dtype: 'float64' }).contiguous().toTypedArray() as Float64Array;
  });
  const d = features.shape[1];
  const rows = Array.from({ length: m }, (_, i) => flat.subarray(i * d, (i + 1) * d));
  // druidjs's generator runs the same steps as its transform(), yielding after each one.
  const run = (steps: Generator<Float64Array[], Float64Array[], void>, total: number): Float64Array[] => {
    let done = 0;
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      opts.onIteration?.({ done: ++done, total });
    }
  };
  let y: Float64Array[];
  if (opts.method === 'tsne') {
    const perplexity = Math.min(opts.perplexity ?? 30, Math.max(1, (m - 1) / 3));
    const tsne = new TSNE(rows, { perplexity, epsilon: opts.learningRate ?? 10, d: 2, seed });
    const iterations = opts.iterations ?? EMBED_ITERATIONS.tsne;
    y = run(tsne.generator(iterations), iterations);
  } else if (opts.method === 'umap') {
    const nNeighbors = Math.min(opts.nNeighbors ?? 15, m - 1);
    const umap = new UMAP(rows, { n_neighbors: nNeighbors, min_dist: opts.minDist ?? 0.1, d: 2, seed });
    const iterations = opts.iterations ?? EMBED_ITERATIONS.umap;
    y = run(umap.generator(iterations), iterations);
  } else {
    throw new RangeError(`embed2d: method must be 'tsne' or 'umap', got '${String(opts.method)}'`);
  }
  const coords = new Float64Array(2 * m);
  y.forEach((p, i) => {
    coords[2 * i] = p[0];
    coords[2 * i + 1] = p[1];
  });
  return { coords, indices };
}
