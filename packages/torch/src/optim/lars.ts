/**
 * LARS, layer-wise adaptive rate scaling for SGD (You, Gitman & Ginsburg 2017, "Large Batch
 * Training of Convolutional Networks", arXiv:1708.03888, Algorithm 1), as MMSelfSup's `LARS`
 * (used by SimCLR, BYOL, MoCo v3 ResNet configs):
 *
 *   local_lr = η‖θ‖ / (‖g‖ + λ‖θ‖ + ε)  (1 when either norm is 0);
 *   d ← (g + λθ) · γ · local_lr;  b ← μb + (1 − τ)d (b ← d first);  d ← d + μb (nesterov) or b;  θ ← θ − d.
 *
 * Groups flagged `larsExclude: true` (PyTorch configs: `lars_exclude`), conventionally biases and
 * normalisation parameters, are neither adapted (local_lr = 1) nor decayed (λ = 0), whatever their
 * `weightDecay` (MMSelfSup's configs pair `lars_exclude` with `decay_mult=0`, so this is the same).
 */
import { stack } from '../math.js';
import type { Tensor } from '../tensor.js';
import * as fe from './foreach.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';

/** LARS's per-group hyperparameters. */
export type LARSHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Trust coefficient η. */
  eta: number;
  eps: number;
  /** Skip the adaptation and the weight decay for this group (biases, norm parameters). */
  larsExclude: boolean;
};

/** LARS's per-parameter state: the momentum buffer (created only when momentum ≠ 0). */
export type LARSState = { momentumBuffer: Tensor | undefined };

/** LARS over SGD with momentum. Defaults: momentum 0, η = 0.001, ε = 1e-8, weight decay 0. */
export class LARS extends Optimizer<LARSHyper, LARSState> {
  constructor(params: ParamsInput, opts: Partial<LARSHyper> & { lr: number }) {
    super(params, {
      lr: opts.lr,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      eta: opts.eta ?? 0.001,
      eps: opts.eps ?? 1e-8,
      larsExclude: opts.larsExclude ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<LARSHyper>): void {
    super.validateGroup(g);
    if (!(g.momentum >= 0)) throw new RangeError(`LARS: invalid momentum ${g.momentum}`);
    if (!(g.eta >= 0)) throw new RangeError(`LARS: invalid LARS coefficient ${g.eta}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      throw new RangeError('LARS: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateGroup(group: ParamGroup<LARSHyper>, params: Tensor[], grads: Tensor[]): void {
    if (params.length === 0) return;
    const { lr, momentum, dampening, nesterov, eta, eps, larsExclude } = group;
    const weightDecay = larsExclude ? 0 : group.weightDecay;
    let actualLr: number[];
    if (larsExclude) {
      actualLr = params.map(() => lr);
    } else {
      // One device→host read for all the norms of the group (as float64, exactly the float32 norms).
      const norms = stack([...fe.norm(params), ...fe.norm(grads)])
        .to('float64')
        .cpu()
        .toTypedArray() as Float64Array;
      const n = params.length;
      actualLr = params.map((_, i) => {
        const w = norms[i];
        const g = norms[n + i];
        const local = w !== 0 && g !== 0 ? (eta * w) / (g + weightDecay * w + eps) : 1;
        return local * lr;
      });
    }
    const d = weightDecay !== 0 ? fe.add(grads, params, weightDecay) : grads.map((g) => g.clone());
    fe.mul_(d, actualLr);
    let upd = d;
    if (momentum !== 0) {
      const oldBufs: Tensor[] = [];
      const oldD: Tensor[] = [];
      const bufs = params.map((p, i) => {
        const s = this.stateOf(p, () => ({ momentumBuffer: undefined }));
        if (s.momentumBuffer === undefined) {
          this.setStateTensor(s, 'momentumBuffer', d[i].clone());
        } else {
          oldBufs.push(s.momentumBuffer);
          oldD.push(d[i]);
        }
        return s.momentumBuffer as Tensor;
      });
      fe.mul_(oldBufs, momentum);
      fe.add_(oldBufs, oldD, 1 - dampening);
      upd = nesterov ? fe.add(d, bufs, momentum) : bufs;
    }
    fe.add_(params, upd, -1);
  }
}
