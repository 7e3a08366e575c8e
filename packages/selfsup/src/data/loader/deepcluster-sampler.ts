/**
 * MMSelfSup's `DeepClusterSampler` (Caron et al. 2018, "Deep Clustering for Unsupervised Learning of
 * Visual Features", arXiv:1807.05520, §3.3 "sampling images based on a uniform distribution over
 * the classes, or pseudo-labels"): before any pseudo-labels exist it is PyTorch's
 * DistributedSampler (a seeded permutation per epoch, padded to a multiple of the world size,
 * rank r taking every W-th index); once labels are set, each epoch draws ⌊N/K⌋ + 1 members of every
 * non-empty cluster (without replacement from clusters larger than that, with replacement from the
 * others), shuffles them and keeps the first N, so every cluster is seen about equally often.
 * Draws come from a torch generator seeded with seed + epoch, so a resumed run sees the same order.
 */
import * as torch from '@selfsup/torch';
import { permutation, type Sampler } from './samplers.js';

export interface DeepClusterSamplerOptions {
  rank?: number;
  worldSize?: number;
  seed?: number;
}

export class DeepClusterSampler implements Sampler {
  readonly numSamples: number;
  readonly totalSize: number;
  private readonly rank: number;
  private readonly worldSize: number;
  private readonly seed: number;
  /** Members of every cluster, by cluster (empty ones included), once labels are set. */
  private byCluster: number[][] | null = null;

  constructor(
    readonly datasetSize: number,
    o: DeepClusterSamplerOptions = {},
  ) {
    this.rank = o.rank ?? 0;
    this.worldSize = o.worldSize ?? 1;
    this.seed = o.seed ?? 0;
    if (!(Number.isInteger(datasetSize) && datasetSize > 0))
      throw new RangeError(`DeepClusterSampler: the dataset size must be a positive integer, got ${datasetSize}`);
    if (this.rank < 0 || this.rank >= this.worldSize)
      throw new RangeError(`DeepClusterSampler: rank ${this.rank} not in [0, ${this.worldSize})`);
    this.numSamples = Math.ceil(datasetSize / this.worldSize);
    this.totalSize = this.numSamples * this.worldSize;
  }

  get length(): number {
    return this.numSamples;
  }

  /** Whether pseudo-labels are set (sampling is uniform over clusters). */
  get uniform(): boolean {
    return this.byCluster !== null;
  }

  /** MMSelfSup's `set_uniform_indices`: `labels[i]` is sample i's cluster in `[0, numClasses)`. */
  setUniformIndices(labels: ArrayLike<number>, numClasses: number): void {
    if (labels.length !== this.datasetSize)
      throw new RangeError(`DeepClusterSampler: ${labels.length} labels for a dataset of ${this.datasetSize} samples`);
    const groups: number[][] = Array.from({ length: numClasses }, () => []);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      if (!(Number.isInteger(l) && l >= 0 && l < numClasses))
        throw new RangeError(`DeepClusterSampler: label ${l} of sample ${i} is not in [0, ${numClasses})`);
      groups[l].push(i);
    }
    this.byCluster = groups;
  }

  /** The class-balanced list of all ranks for `epoch` (before padding and striding). */
  uniformList(epoch: number): number[] {
    const groups = this.byCluster;
    if (!groups) throw new Error('DeepClusterSampler: no pseudo-labels set');
    const n = this.datasetSize;
    const per = Math.floor(n / groups.length) + 1;
    return torch.tidy(() => {
      const g = new torch.Generator().manualSeed(this.seed + epoch);
      try {
        const drawn: number[] = [];
        for (const members of groups) {
          if (members.length === 0) continue;
          const pick =
            members.length > per
              ? (torch.randperm(members.length, { generator: g }).narrow(0, 0, per).toList() as number[])
              : (torch.randint(0, members.length, [per], { generator: g }).toList() as number[]);
          for (const j of pick) drawn.push(members[j]);
        }
        const order = torch.randperm(drawn.length, { generator: g }).toList() as number[];
        return order.slice(0, n).map((j) => drawn[j]);
      } finally {
        g.dispose();
      }
    });
  }

  indices(epoch: number): number[] {
    let idx = this.byCluster ? this.uniformList(epoch) : permutation(this.datasetSize, this.seed + epoch);
    // Pad by repeating the start (fewer non-empty clusters than N/(⌊N/K⌋ + 1) leave the list short).
    while (idx.length < this.totalSize) idx = idx.concat(idx.slice(0, this.totalSize - idx.length));
    const out: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.worldSize) out.push(idx[i]);
    return out;
  }
}
