/**
 * SGD with momentum (Polyak 1964), Nesterov momentum (Sutskever et al. 2013, "On the importance of
 * initialization and momentum in deep learning"), dampening, L2 weight decay and `maximize`,
 * exactly as `torch.optim.SGD`:
 *
 *   g ← ∇θ (−∇θ if maximize) + λθ;  b ← μb + (1 − τ)g (b ← g at the first step);
 *   g ← g + μb (nesterov) or b;  θ ← θ − γg.
 *
 * Multi-tensor (`_foreach_*`) kernels; parameters of any shape.
 */
import type { Tensor } from '../tensor.js';
import * as fe from './foreach.js';
import { type HyperValue, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';

/** SGD's per-group hyperparameters. */
export type SGDHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
};

/** SGD's per-parameter state: the momentum buffer (null while momentum is 0, as PyTorch stores None). */
export type SGDState = { momentumBuffer: Tensor | null };

/** `torch.optim.SGD`. `lr` is required; the other options default to 0 / false. */
export class SGD extends Optimizer<SGDHyper, SGDState> {
  constructor(params: ParamsInput, opts: Partial<SGDHyper> & { lr: number }) {
    super(params, {
      lr: opts.lr,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<SGDHyper>): void {
    super.validateGroup(g);
    if (!(g.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${g.momentum}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected override pytorchGroupExtras(): Record<string, HyperValue> {
    return { foreach: null, differentiable: false };
  }

  protected updateGroup(group: ParamGroup<SGDHyper>, params: Tensor[], grads: Tensor[]): void {
    if (params.length === 0) return;
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let d = grads;
    if (maximize) d = fe.neg(d);
    if (weightDecay !== 0) d = fe.add(d, params, weightDecay);
    const states = params.map((p) => this.stateOf(p, () => ({ momentumBuffer: null })));
    if (momentum !== 0) {
      const oldBufs: Tensor[] = [];
      const oldGrads: Tensor[] = [];
      const bufs = states.map((s, i) => {
        if (s.momentumBuffer === null) {
          this.setStateTensor(s, 'momentumBuffer', d[i].clone());
        } else {
          oldBufs.push(s.momentumBuffer);
          oldGrads.push(d[i]);
        }
        return s.momentumBuffer as Tensor;
      });
      fe.mul_(oldBufs, momentum);
      fe.add_(oldBufs, oldGrads, 1 - dampening);
      d = nesterov ? fe.add(d, bufs, momentum) : bufs;
    }
    fe.add_(params, d, -lr);
  }
}
