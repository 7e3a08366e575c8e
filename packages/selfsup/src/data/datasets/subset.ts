/**
 * Subsets and splits of any dataset: a fixed list of indices (`Subset`), PyTorch's seeded
 * `random_split` (same permutation as `torch.utils.data.random_split` with
 * `Generator().manual_seed(seed)`), the first or a random `numSamples`, and class-balanced subsets
 * (k per class) for small labelled evaluation sets.
 */
import type { Sample } from '../image.js';
import { permutation } from '../loader/samplers.js';
import { checkIndex, type Dataset } from './base.js';

export class Subset implements Dataset {
  readonly labels: ArrayLike<number> | null;
  readonly classes: string[] | undefined;

  constructor(
    readonly dataset: Dataset,
    readonly indices: number[],
  ) {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= dataset.length)
        throw new RangeError(`Subset: index ${i} out of range for ${dataset.describe()}`);
    }
    const parent = dataset.labels;
    this.labels = parent ? Int32Array.from(indices, (i) => parent[i]) : null;
    this.classes = dataset.classes;
  }

  get length(): number {
    return this.indices.length;
  }

  async get(idx: number): Promise<Sample> {
    checkIndex(this, idx);
    // The sample keeps its index within the subset, so loaders and seeds see a self-contained dataset.
    return { ...(await this.dataset.get(this.indices[idx])), idx };
  }

  describe(): string {
    return `Subset(${this.length} of ${this.dataset.describe()})`;
  }
}

/**
 * Splits into parts of the given sizes, or fractions summing to 1 (remainders go round-robin to the
 * first parts, as PyTorch does), after one seeded shuffle.
 */
export function randomSplit(ds: Dataset, lengths: number[], seed = 0): Subset[] {
  let sizes = lengths;
  const total = lengths.reduce((a, b) => a + b, 0);
  // PyTorch's rule: lengths summing to 1 (within float error, not above) are fractions.
  if (Math.abs(total - 1) <= 1e-9 && total <= 1) {
    sizes = lengths.map((f) => Math.floor(ds.length * f));
    const rest = ds.length - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rest; i++) sizes[i % sizes.length] += 1;
  }
  if (sizes.reduce((a, b) => a + b, 0) !== ds.length)
    throw new RangeError(`randomSplit: lengths ${JSON.stringify(lengths)} do not add up to ${ds.length}`);
  const perm = permutation(ds.length, seed);
  const out: Subset[] = [];
  let off = 0;
  for (const n of sizes) {
    out.push(new Subset(ds, perm.slice(off, off + n)));
    off += n;
  }
  return out;
}

/** The first `n` samples, or `n` random ones when `seed` is given (MMSelfSup's `num_samples`). */
export function takeSamples(ds: Dataset, n: number, seed?: number): Subset {
  if (n > ds.length) throw new RangeError(`takeSamples: ${n} samples requested from ${ds.describe()}`);
  const order = seed === undefined ? Array.from({ length: ds.length }, (_, i) => i) : permutation(ds.length, seed);
  return new Subset(
    ds,
    order.slice(0, n).sort((a, b) => a - b),
  );
}

/** `perClass` random samples of every class (all of a class that has fewer), in dataset order. */
export function classBalancedSubset(ds: Dataset, perClass: number, seed = 0): Subset {
  const labels = ds.labels;
  if (!labels) throw new Error(`classBalancedSubset: ${ds.describe()} is unlabeled`);
  const perm = permutation(ds.length, seed);
  const taken = new Map<number, number>();
  const chosen: number[] = [];
  for (const i of perm) {
    const c = labels[i];
    const k = taken.get(c) ?? 0;
    if (k < perClass) {
      taken.set(c, k + 1);
      chosen.push(i);
    }
  }
  return new Subset(
    ds,
    chosen.sort((a, b) => a - b),
  );
}
