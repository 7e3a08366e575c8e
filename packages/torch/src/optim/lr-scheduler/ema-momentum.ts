/**
 * The cosine momentum schedule of EMA target networks (BYOL, Grill et al. 2020,
 * arXiv:2006.07733; MoCo v3, Chen et al. 2021, arXiv:2104.02057; MMSelfSup's momentum hooks):
 *
 *   mₖ = m_end − (m_end − m₀)·(cos(πk/K) + 1)/2,
 *
 * which with m_end = 1 is m = 1 − (1 − m₀)(cos(πk/K) + 1)/2: m₀ at k = 0, 1 at k = K.
 */

/** The momentum at step `k` of `total` (k is clamped to [0, total]). */
export function cosineMomentum(base: number, k: number, total: number, end = 1): number {
  const t = Math.min(Math.max(k, 0), total);
  return end - ((end - base) * (Math.cos((Math.PI * t) / total) + 1)) / 2;
}

/** A stepped `cosineMomentum`: `value` is the momentum of the current step, `step()` advances. */
export class CosineEMAMomentum {
  /** Steps taken (k). */
  stepCount = 0;

  constructor(
    readonly base: number,
    readonly totalSteps: number,
    readonly end = 1,
  ) {
    if (!(totalSteps > 0)) throw new RangeError(`CosineEMAMomentum: totalSteps must be positive, got ${totalSteps}`);
  }

  /** The momentum for the current step. */
  get value(): number {
    return cosineMomentum(this.base, this.stepCount, this.totalSteps, this.end);
  }

  /** Advances one step and returns the new momentum. */
  step(): number {
    this.stepCount += 1;
    return this.value;
  }

  stateDict(): { step: number; base: number; total_steps: number; end: number } {
    return { step: this.stepCount, base: this.base, total_steps: this.totalSteps, end: this.end };
  }

  loadStateDict(sd: { step?: number }): void {
    if (typeof sd.step === 'number') this.stepCount = sd.step;
  }
}
