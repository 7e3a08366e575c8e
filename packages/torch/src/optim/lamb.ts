/**
 * LAMB, layer-wise adaptive moments (You et al. 2020, "Large Batch Optimization for Deep Learning:
 * Training BERT in 76 minutes", arXiv:1904.00962), as timm's `Lamb` (NVIDIA's FusedLAMB
 * behaviour):
 *
 *   c = max(1, ‖g_all‖ / max_grad_norm)  (global gradient-norm clipping; off when null);
 *   g ← g / c;  m ← β₁m + β₃g  (β₃ = 1 − β₁ with grad averaging, else 1);  v ← β₂v + (1 − β₂)g²;
 *   u = (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε) + λθ;
 *   r = ‖θ‖ / ‖u‖ (1 when either is 0; min(r, 1) with trust_clip), applied when λ ≠ 0 or always_adapt;
 *   θ ← θ − γ · r · u.
 *
 * The step count is per group (`step` in the group, as timm). The parameters' `.grad` are not
 * modified.
 */
import { stack, where } from '../math.js';
import type { Tensor } from '../tensor.js';
import { zerosLike } from '../creation.js';
import * as fe from './foreach.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';

/** LAMB's per-group hyperparameters (`step` is the group's step count). */
export type LAMBHyper = {
  lr: number;
  biasCorrection: boolean;
  betas: number[];
  eps: number;
  weightDecay: number;
  gradAveraging: boolean;
  /** Global gradient norm above which gradients are scaled down; null disables (timm reads the default only). */
  maxGradNorm: number | null;
  /** LAMBC: clip the trust ratio at 1. */
  trustClip: boolean;
  /** Adapt also parameters without weight decay. */
  alwaysAdapt: boolean;
  step: number;
};

/** LAMB's per-parameter state: first and second moments. */
export type LAMBState = { expAvg: Tensor; expAvgSq: Tensor };

/** Options of `LAMB` (`betas` as a pair). */
export type LAMBOptions = Partial<Omit<LAMBHyper, 'betas' | 'step'>> & { betas?: [number, number] | number[] };

/**
 * timm's Lamb. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-6, weight decay 0.01, grad averaging,
 * bias correction, max_grad_norm 1.0, no trust clipping, always_adapt false.
 */
export class LAMB extends Optimizer<LAMBHyper, LAMBState> {
  /** The global gradient-norm divisor of the running step (a 0-d tensor), or null. */
  private clipDivisor: Tensor | null = null;

  constructor(params: ParamsInput, opts: LAMBOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      biasCorrection: opts.biasCorrection ?? true,
      betas: [...(opts.betas ?? [0.9, 0.999])],
      eps: opts.eps ?? 1e-6,
      weightDecay: opts.weightDecay ?? 0.01,
      gradAveraging: opts.gradAveraging ?? true,
      maxGradNorm: opts.maxGradNorm === undefined ? 1.0 : opts.maxGradNorm,
      trustClip: opts.trustClip ?? false,
      alwaysAdapt: opts.alwaysAdapt ?? false,
      step: 0,
    });
  }

  protected override validateGroup(g: ParamGroup<LAMBHyper>): void {
    super.validateGroup(g);
    if (!(g.eps >= 0)) throw new RangeError(`LAMB: invalid epsilon ${g.eps}`);
    if (g.betas.length !== 2 || !g.betas.every((b) => b >= 0 && b < 1)) throw new RangeError('LAMB: invalid betas');
  }

  protected override beforeStep(): void {
    this.clipDivisor = null;
    const max = this.defaults.maxGradNorm;
    if (max === null) return;
    const grads: Tensor[] = [];
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (grad) grads.push(grad);
      }
    }
    if (grads.length === 0) return;
    const globalNorm = stack(fe.norm(grads)).norm(2);
    this.clipDivisor = globalNorm.div(max).clampMin(1);
  }

  protected updateGroup(group: ParamGroup<LAMBHyper>, params: Tensor[], grads: Tensor[]): void {
    group.step += 1;
    if (params.length === 0) return;
    const [beta1, beta2] = group.betas;
    const beta3 = group.gradAveraging ? 1 - beta1 : 1;
    const bc1 = group.biasCorrection ? 1 - beta1 ** group.step : 1;
    const bc2 = group.biasCorrection ? 1 - beta2 ** group.step : 1;
    const clip = this.clipDivisor;
    const g = clip ? grads.map((x) => x.div(clip)) : grads;
    const states = params.map((p) => this.stateOf(p, () => ({ expAvg: zerosLike(p), expAvgSq: zerosLike(p) })));
    const expAvgs = states.map((s) => s.expAvg);
    const expAvgSqs = states.map((s) => s.expAvgSq);
    fe.mul_(expAvgs, beta1);
    fe.add_(expAvgs, g, beta3);
    fe.mul_(expAvgSqs, beta2);
    fe.addcmul_(expAvgSqs, g, g, 1 - beta2);
    const denom = fe.sqrt(expAvgSqs);
    fe.div_(denom, Math.sqrt(bc2));
    fe.addScalar_(denom, group.eps);
    const update = expAvgs.map((m) => m.div(bc1));
    fe.divTensors_(update, denom);
    const wd = group.weightDecay;
    if (wd !== 0) fe.add_(update, params, wd);
    if (wd !== 0 || group.alwaysAdapt) {
      const wNorms = fe.norm(params);
      const uNorms = fe.norm(update);
      const ratios = wNorms.map((w, i) => {
        const u = uNorms[i];
        let r = where(w.gt(0), where(u.gt(0), w.div(u), 1), 1);
        if (group.trustClip) r = r.clampMax(1);
        return r;
      });
      fe.mulTensors_(update, ratios);
    }
    fe.add_(params, update, -group.lr);
  }
}
