/**
 * Index samplers with PyTorch's semantics and random streams: shuffling draws
 * `torch.randperm(n, generator=Generator().manual_seed(seed + epoch))`, exactly as PyTorch's
 * DistributedSampler does, so a run and its resume (or a Python run) see the same order.
 */
import * as torch from '@selfsup/torch';

export interface Sampler {
  /** Indices for `epoch`, in order. */
  indices(epoch: number): number[];
  readonly length: number;
}

/** `torch.randperm(n, generator=Generator().manual_seed(seed))` as a JS array. */
export function permutation(n: number, seed: number): number[] {
  return torch.tidy(() => {
    const g = new torch.Generator().manualSeed(seed);
    try {
      return (torch.randperm(n, { generator: g }).toList() as number[]).slice();
    } finally {
      g.dispose();
    }
  });
}

export class SequentialSampler implements Sampler {
  constructor(readonly length: number) {}
  indices(): number[] {
    return Array.from({ length: this.length }, (_, i) => i);
  }
}

/** A fresh permutation per epoch (seeded by seed + epoch). */
export class RandomSampler implements Sampler {
  constructor(
    readonly length: number,
    readonly seed = 0,
  ) {}
  indices(epoch: number): number[] {
    return permutation(this.length, this.seed + epoch);
  }
}

/**
 * PyTorch's DistributedSampler: every rank gets ⌈N / W⌉ indices (the list is padded by repeating
 * its start, or truncated with `dropLast`), rank r taking positions r, r + W, r + 2W, …
 */
export class DistributedSampler implements Sampler {
  readonly numSamples: number;
  readonly totalSize: number;

  constructor(
    readonly datasetSize: number,
    readonly o: { rank: number; worldSize: number; shuffle?: boolean; seed?: number; dropLast?: boolean },
  ) {
    if (o.rank < 0 || o.rank >= o.worldSize)
      throw new RangeError(`DistributedSampler: rank ${o.rank} not in [0, ${o.worldSize})`);
    this.numSamples =
      o.dropLast && datasetSize % o.worldSize !== 0
        ? Math.floor(datasetSize / o.worldSize)
        : Math.ceil(datasetSize / o.worldSize);
    this.totalSize = this.numSamples * o.worldSize;
  }

  get length(): number {
    return this.numSamples;
  }

  indices(epoch: number): number[] {
    let idx =
      (this.o.shuffle ?? true)
        ? permutation(this.datasetSize, (this.o.seed ?? 0) + epoch)
        : Array.from({ length: this.datasetSize }, (_, i) => i);
    if (!this.o.dropLast) {
      const pad = this.totalSize - idx.length;
      if (pad > 0) {
        const extra: number[] = [];
        while (extra.length < pad) extra.push(...idx.slice(0, pad - extra.length));
        idx = idx.concat(extra);
      }
    } else {
      idx = idx.slice(0, this.totalSize);
    }
    const out: number[] = [];
    for (let i = this.o.rank; i < this.totalSize; i += this.o.worldSize) out.push(idx[i]);
    return out;
  }
}

/**
 * Class-balanced sampling (MMSelfSup's ClassAwareSampler, used with DeepCluster's pseudo labels):
 * classes are visited in a random cycle and each yields `numSamplesPerClass` random members.
 */
export class ClassAwareSampler implements Sampler {
  private readonly byClass: number[][];
  readonly length: number;

  constructor(
    labels: ArrayLike<number>,
    readonly o: { seed?: number; numSamplesPerClass?: number } = {},
  ) {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < labels.length; i++) groups.set(labels[i], [...(groups.get(labels[i]) ?? []), i]);
    this.byClass = [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k) as number[]);
    this.length = labels.length;
  }

  indices(epoch: number): number[] {
    const per = this.o.numSamplesPerClass ?? 1;
    const seed = (this.o.seed ?? 0) + epoch;
    const out: number[] = [];
    let round = 0;
    while (out.length < this.length) {
      const order = permutation(this.byClass.length, seed * 1000003 + round);
      for (const c of order) {
        const members = this.byClass[c];
        const pick = permutation(members.length, seed * 1000003 + round * 7919 + c + 1);
        for (let k = 0; k < per && out.length < this.length; k++) out.push(members[pick[k % members.length]]);
      }
      round++;
    }
    return out;
  }
}
