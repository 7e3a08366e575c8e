/**
 * MMSelfSup's `ODCMemory` (Zhan et al. 2020, "Online Deep Clustering for Unsupervised
 * Representation Learning", arXiv:2006.10645, §3.2–3.3): the samples memory — one L2-normalised
 * feature `feature_bank (L, D)` and pseudo-label `label_bank (L)` per training image — and the
 * centroids memory `centroids (K, D)`. Each iteration moves the batch's features towards the
 * network's (momentum m, renormalised) and relabels them to their most similar centroid; every
 * few iterations the centroids become their members' means; clusters smaller than `minCluster`
 * are emptied into the others and refilled by splitting the largest cluster in two (2-means).
 *
 * State-dict keys: `memory_bank.feature_bank`, `memory_bank.label_bank`, `memory_bank.centroids`.
 * Unlike MMSelfSup (rank 0 alone holds the features), every process holds and updates the whole
 * memory from all-gathered rows; the random parts (2-means seeds) are broadcast from rank 0.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { kmeans } from '../../analysis/kmeans.js';
import { posInt, prob, z } from '../../core/schema.js';
import { checkIndices, gatherRows } from './gather.js';
import { configuredLengthFits } from './simple-memory.js';

/** `memoryBank` of ODC (MMSelfSup's `memory_bank` camelCased). */
export const odcMemorySchema = z.strictObject({
  type: z.literal('ODCMemory'),
  /** Rows: the training set's size. Default: the dataset's length, set when training starts. */
  length: posInt().optional(),
  featDim: posInt(),
  /** Weight of the new feature in the update (MMSelfSup: 0.5). */
  momentum: prob(),
  /** Clusters K (the head's classes). */
  numClasses: posInt(),
  /** Clusters with fewer members are re-assigned (MMSelfSup: 20). */
  minCluster: posInt(),
  /** MMSelfSup's debug prints; accepted and ignored (the ODCHook logs cluster sizes). */
  debug: z.boolean().optional(),
});
export type ODCMemoryOptions = z.input<typeof odcMemorySchema>;

const EPS = 1e-10;

/** Rows divided by their norm + 1e-10 (MMSelfSup's normalisation here, not F.normalize's max(‖x‖, ε)). */
function rowNormalize(x: Tensor): Tensor {
  return x.div(x.norm(2, [1], { keepdim: true }).add(EPS));
}

export class ODCMemory extends nn.Module {
  readonly featDim: number;
  readonly momentum: number;
  readonly numClasses: number;
  readonly minCluster: number;
  readonly configuredLength: number | undefined;
  /** Whether the memory holds clustered features (set by `initMemory` or by loading a checkpoint's state). */
  initialized = false;
  private features: Tensor;
  private labels: Tensor;
  readonly centroids: Tensor;

  constructor(o: ODCMemoryOptions) {
    super();
    this.featDim = o.featDim;
    this.momentum = o.momentum;
    this.numClasses = o.numClasses;
    this.minCluster = o.minCluster;
    this.configuredLength = o.length;
    const n = o.length ?? 0;
    this.features = this.registerBuffer('feature_bank', torch.zeros([n, o.featDim]));
    this.labels = this.registerBuffer('label_bank', torch.zeros([n], { dtype: 'int64' }));
    this.centroids = this.registerBuffer('centroids', torch.zeros([o.numClasses, o.featDim]));
  }

  /** `(L, D)` normalised features. */
  get featureBank(): Tensor {
    return this.features;
  }

  /** `(L)` int64 pseudo-labels. */
  get labelBank(): Tensor {
    return this.labels;
  }

  get length(): number {
    return this.features.shape[0];
  }

  /** Sizes the memory for `n` images (see SimpleMemory.resize): allocates, or checks the configured length. */
  resize(n: number, who = 'ODCMemory'): void {
    if (configuredLengthFits(this.configuredLength, n, who)) return;
    if (this.length === n) return;
    const [f, l] = [this.features, this.labels];
    this.features = this.registerBuffer('feature_bank', torch.zeros([n, this.featDim], { device: f.device }));
    this.labels = this.registerBuffer('label_bank', torch.zeros([n], { dtype: 'int64', device: l.device }));
    f.dispose();
    l.dispose();
  }

  /** Cluster sizes `(K)` as numbers. */
  histogram(): number[] {
    return torch.tidy(() => torch.ops.aten.bincount(this.labels, null, this.numClasses).toList() as number[]);
  }

  /** Fills the memory from features `(L, D)` of every image and their cluster labels `(L)`; no cluster may be empty. */
  initMemory(feature: Tensor, label: Tensor): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        if (feature.shape[0] !== this.length || feature.shape[1] !== this.featDim || label.shape[0] !== this.length)
          throw new RangeError(
            `ODCMemory: initMemory expects (${this.length}, ${this.featDim}) features and (${this.length}) labels`,
          );
        this.labels.copy_(label);
        const empty = this.histogram().filter((c) => c === 0).length;
        if (empty > 0) throw new RangeError(`ODCMemory: initMemory got ${empty} empty clusters of ${this.numClasses}`);
        this.features.copy_(rowNormalize(feature.to({ dtype: this.features.dtype })));
        this.centroids.copy_(this.computeCentroids());
        this.initialized = true;
      }),
    );
  }

  /** Members' means `(K, D)`; an empty cluster keeps its centroid. */
  private computeCentroids(): Tensor {
    return torch.tidy(() => {
      const like = { dtype: this.features.dtype, device: this.features.device };
      const counts = torch.zeros([this.numClasses], like).indexAdd(0, this.labels, torch.ones([this.length], like));
      const sums = torch.zeros([this.numClasses, this.featDim], like).indexAdd(0, this.labels, this.features);
      const nonEmpty = counts.gt(0).unsqueeze(1);
      return torch.where(nonEmpty, sums.div(counts.clampMin(1).unsqueeze(1)), this.centroids);
    });
  }

  /**
   * Momentum update of rows `idx (N)` with `feature (N, D)` (all processes'), then each row's label
   * becomes its most similar centroid. Returns the fraction of the (gathered) rows whose label changed.
   */
  updateSamplesMemory(idx: Tensor, feature: Tensor): number {
    if (!this.initialized)
      throw new Error('ODCMemory: the memory is not initialised (the ODCHook clusters the features before training)');
    return torch.noGrad(() =>
      torch.tidy(() => {
        checkIndices(idx, this.length, 'ODCMemory');
        const g = gatherRows(idx.to({ device: this.features.device }), rowNormalize(feature.detach()));
        const old = this.features.indexSelect(0, g.idx);
        const updated = rowNormalize(old.mul(1 - this.momentum).add(g.rows.to({ dtype: old.dtype }).mul(this.momentum)));
        this.features.indexPut_([g.idx], updated);
        const newLabels = this.centroids.matmul(updated.t()).argmax(0);
        const changed = newLabels.ne(this.labels.indexSelect(0, g.idx)).sum().item() / newLabels.shape[0];
        this.labels.indexPut_([g.idx], newLabels);
        return changed;
      }),
    );
  }

  /** Every centroid (or those of `cinds`) becomes its members' mean. */
  updateCentroidsMemory(cinds?: number[]): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        const all = this.computeCentroids();
        if (!cinds) this.centroids.copy_(all);
        else {
          const sel = torch.tensor(cinds, { dtype: 'int64', device: this.centroids.device });
          this.centroids.indexPut_([sel], all.indexSelect(0, sel));
        }
      }),
    );
  }

  /**
   * Clusters under `minCluster` members: their members move to the most similar centroid among
   * the other clusters; then each emptied cluster takes one half of the largest cluster's 2-means
   * split, and both centroids are recomputed. Returns the small clusters' ids.
   */
  dealWithSmallClusters(): number[] {
    const hist = this.histogram();
    const small = hist.flatMap((c, i) => (c < this.minCluster ? [i] : []));
    if (small.length === 0) return [];
    if (small.length === this.numClasses)
      throw new RangeError(`ODCMemory: every cluster has fewer than minCluster (${this.minCluster}) members`);
    torch.noGrad(() =>
      torch.tidy(() => {
        const smallSet = new Set(small);
        const inclusion = torch.tensor(
          [...Array(this.numClasses).keys()].filter((c) => !smallSet.has(c)),
          { dtype: 'int64', device: this.centroids.device },
        );
        const keep = this.centroids.indexSelect(0, inclusion);
        for (const s of small) {
          const members = this.labels.eq(s).nonzero().squeeze(1);
          if (members.shape[0] === 0) continue;
          const target = inclusion.indexSelect(0, keep.matmul(this.features.indexSelect(0, members).t()).argmax(0));
          this.labels.indexPut_([members], target);
        }
      }),
    );
    for (const e of small) this.redirectEmptyCluster(e);
    return small;
  }

  /** Splits the largest cluster by 2-means and gives one part to the empty cluster `e`. */
  private redirectEmptyCluster(e: number): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        const hist = this.histogram();
        if (hist[e] !== 0) throw new Error(`ODCMemory: cluster #${e} is not empty`);
        const maxCluster = hist.indexOf(Math.max(...hist));
        const members = this.labels.eq(maxCluster).nonzero().squeeze(1);
        if (members.shape[0] < 2)
          throw new RangeError(`ODCMemory: the largest cluster has ${members.shape[0]} member(s); nothing to split`);
        let second = splitInTwo(this.features.indexSelect(0, members));
        if (torch.distributed.getWorldSize() > 1) {
          // The split is random (k-means++ seeds): every process takes rank 0's.
          const mask = second.to({ dtype: 'uint8' });
          torch.distributed.broadcast(mask, 0);
          second = mask.gt(0);
        }
        this.labels.indexPut_([members.maskedSelect(second)], e);
        this.updateCentroidsMemory([maxCluster, e]);
      }),
    );
  }

  forward(): never {
    throw new TypeError('ODCMemory: use updateSamplesMemory(), updateCentroidsMemory() and dealWithSmallClusters()');
  }

  override extraRepr(): string {
    return `length=${this.length}, feat_dim=${this.featDim}, momentum=${this.momentum}, num_classes=${this.numClasses}, min_cluster=${this.minCluster}`;
  }
}

/**
 * A `(M)` bool mask of the rows of `x` that form the second part of a 2-means split (MMSelfSup:
 * KMeans(2, max_iter=20)); when 2-means leaves a part empty, a random half (MMSelfSup's fallback).
 */
function splitInTwo(x: Tensor): Tensor {
  const { labels } = kmeans(x, { k: 2, niter: 20 });
  const second = labels.eq(1);
  const n2 = second.sum().item();
  if (n2 > 0 && n2 < x.shape[0]) return second;
  process.emitWarning('ODCMemory: the 2-means split of the largest cluster failed; splitting it at random');
  const perm = torch.randperm(x.shape[0], { device: x.device });
  const out = torch.zeros([x.shape[0]], { dtype: 'bool', device: x.device });
  out.indexPut_([perm.narrow(0, Math.floor(x.shape[0] / 2), x.shape[0] - Math.floor(x.shape[0] / 2))], true);
  return out;
}
