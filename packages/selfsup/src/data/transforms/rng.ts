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

  /** Where the stream stands (one 32-bit word): `Rng.resume` continues it from there, in another thread. */
  get position(): number {
    return this.state;
  }

  /** The stream that was at `position` (a view's crop drawn by a loader worker, the rest on the training thread). */
  static resume(position: number): Rng {
    if (!Number.isInteger(position) || position < 0 || position > 0xffffffff)
      throw new RangeError(`Rng.resume: a position is a 32-bit unsigned integer, got ${position}`);
    const r = new Rng(0);
    r.state = position;
    return r;
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

  /**
   * Normal N(mean, std²) by Box–Muller: two uniforms per draw (no cached second value, so a
   * stream's draws do not depend on how many normals came before).
   */
  normal(mean = 0, std = 1): number {
    // 1 − u lies in (0, 1]: the logarithm stays finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.random()));
    return mean + std * r * Math.cos(2 * Math.PI * this.random());
  }

  /**
   * Gamma(shape, 1) (Marsaglia & Tsang 2000, "A Simple Method for Generating Gamma Variables");
   * shapes below 1 through Gamma(shape + 1)·U^(1/shape).
   */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`Rng.gamma: shape must be positive, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * (1 - this.random()) ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = 1 - this.random();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X / (X + Y) of two gamma draws (Mixup's and CutMix's λ). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
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
