/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", arXiv:1412.6980) with
 * L2 weight decay, the AMSGrad variant (Reddi et al. 2018, "On the Convergence of Adam and
 * Beyond") and `maximize`, exactly as `torch.optim.Adam` (its multi-tensor path):
 *
 *   g ← ∇θ + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂max ← max(v̂max, v) (amsgrad);
 *   θ ← θ − γ/(1 − β₁ᵗ) · m / (√v(max) / √(1 − β₂ᵗ) + ε).
 *
 * The step count is a number per parameter (saved as PyTorch's float32 0-d tensor `step`).
 */
import type { StateValue } from '../serialization/state.js';
import { Tensor } from '../tensor.js';
import { zerosLike } from '../creation.js';
import * as fe from './foreach.js';
import { type HyperValue, Optimizer, type ParamGroup, type ParamsInput, type StateEntry } from './optimizer.js';

/** Adam's and AdamW's per-group hyperparameters. */
export type AdamHyper = {
  lr: number;
  betas: number[];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

/** Adam's per-parameter state: step count, first and second moments, and AMSGrad's running max. */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq: Tensor | undefined };

/** Options of `Adam`/`AdamW` (`betas` as a pair). */
export type AdamOptions = Partial<Omit<AdamHyper, 'betas'>> & { betas?: [number, number] | number[] };

/**
 * Shared Adam machinery; `decoupled` selects AdamW's weight decay (θ ← θ(1 − γλ) before the
 * update) instead of Adam's L2 term added to the gradient.
 */
export abstract class AdamBase extends Optimizer<AdamHyper, AdamState> {
  protected abstract readonly decoupled: boolean;

  protected override validateGroup(g: ParamGroup<AdamHyper>): void {
    super.validateGroup(g);
    const name = this.constructor.name;
    if (!(g.eps >= 0)) throw new RangeError(`${name}: invalid epsilon ${g.eps}`);
    if (g.betas.length !== 2) throw new RangeError(`${name}: betas must be a pair`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: invalid beta parameter at index ${i}: ${b}`);
    });
  }

  protected override pytorchGroupExtras(): Record<string, HyperValue> {
    return { foreach: null, capturable: false, differentiable: false, fused: false };
  }

  protected override packStateEntry(name: string, v: Exclude<StateEntry, undefined>): StateValue {
    return name === 'step' && typeof v === 'number' ? Optimizer.stepTensor(v) : v;
  }

  protected override unpackStateEntry(name: string, v: StateValue): StateEntry {
    if (name === 'step' && v instanceof Tensor) return v.item();
    return super.unpackStateEntry(name, v);
  }

  protected updateGroup(group: ParamGroup<AdamHyper>, params: Tensor[], grads: Tensor[]): void {
    if (params.length === 0) return;
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) =>
      this.stateOf(p, () => ({ step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p), maxExpAvgSq: undefined })),
    );
    if (amsgrad) {
      states.forEach((s, i) => {
        if (s.maxExpAvgSq === undefined) this.setStateTensor(s, 'maxExpAvgSq', zerosLike(params[i]));
      });
    }
    for (const s of states) s.step += 1;
    let g = maximize ? fe.neg(grads) : grads;
    if (this.decoupled) fe.mul_(params, 1 - lr * weightDecay);
    else if (weightDecay !== 0) g = fe.add(g, params, weightDecay);
    const expAvgs = states.map((s) => s.expAvg);
    const expAvgSqs = states.map((s) => s.expAvgSq);
    fe.mul_(expAvgs, beta1);
    fe.add_(expAvgs, g, 1 - beta1);
    fe.mul_(expAvgSqs, beta2);
    fe.addcmul_(expAvgSqs, g, g, 1 - beta2);
    const stepSize = states.map((s) => (lr / (1 - beta1 ** s.step)) * -1);
    const bc2Sqrt = states.map((s) => Math.sqrt(1 - beta2 ** s.step));
    let sq: Tensor[];
    if (amsgrad) {
      const maxes = states.map((s) => s.maxExpAvgSq as Tensor);
      fe.maximum_(maxes, expAvgSqs);
      sq = fe.sqrt(maxes);
    } else {
      sq = fe.sqrt(expAvgSqs);
    }
    fe.div_(sq, bc2Sqrt);
    const denom = fe.addScalar(sq, eps);
    fe.addcdiv_(params, expAvgs, denom, stepSize);
  }
}

function adamDefaults(opts: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: opts.lr ?? 1e-3,
    betas: [...(opts.betas ?? [0.9, 0.999])],
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? weightDecay,
    amsgrad: opts.amsgrad ?? false,
    maximize: opts.maximize ?? false,
  };
}

/** `torch.optim.Adam` (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 0));
  }
}

/**
 * `torch.optim.AdamW`: Adam with decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled
 * Weight Decay Regularization", arXiv:1711.05101): θ ← θ(1 − γλ) before the Adam update.
 * Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 1e-2));
  }
}
