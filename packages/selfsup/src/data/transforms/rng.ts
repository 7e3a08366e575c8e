/**
 * A small seeded random generator for augmentation parameters. Every sample gets its own stream,
 * derived from (seed, epoch, sample index, view), so the augmentations of a sample do not depend on
 * which worker made them or in which order: same seed → same batches.
 */

/** SplitMix32-style mixing of 32-bit words into one well-spread seed. */
function mix(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = mix(seed) || 1;
  }

  /** The stream for one sample (and one view of it) in one epoch. */
  static forSample(seed: number, epoch: number, idx: number, view = 0): Rng {
    return new Rng(mix(seed, epoch, idx, view));
  }

  /** Uniform in [0, 1) (Mulberry32). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /** Integer in [lo, hi). */
  randint(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo));
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}
