/**
 * `EMA`: an exponential moving average of a network's weights kept in a target network, the
 * momentum encoder of MoCo (He et al. 2020, arXiv:1911.05722), BYOL's target network (Grill et al.
 * 2020, arXiv:2006.07733), DINO's teacher and MoCo v3:
 *
 *   θ_target ← m·θ_target + (1 − m)·θ_online   (parameters);   buffers are copied.
 *
 * Parameters are paired by name (`namedParameters()` of both modules), so the target must have
 * the online network's structure; it is usually a deep copy that never receives gradients.
 */
import { noGrad } from '../autograd.js';
import type { AnyModule } from '../nn/module.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import * as fe from './foreach.js';

function pairs(a: Iterable<[string, Tensor]>, b: Iterable<[string, Tensor]>, what: string): [Tensor[], Tensor[]] {
  const src = new Map(a);
  const dst = [...b];
  if (src.size !== dst.length)
    throw new RangeError(`EMA: online and target have different ${what} counts (${src.size} vs ${dst.length})`);
  const online: Tensor[] = [];
  const target: Tensor[] = [];
  for (const [name, t] of dst) {
    const s = src.get(name);
    if (!s) throw new RangeError(`EMA: the online network has no ${what} '${name}'`);
    const sa = s.shape;
    const sb = t.shape;
    if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i]))
      throw new RangeError(`EMA: ${what} '${name}' has shape [${sa}] online but [${sb}] in the target`);
    online.push(s);
    target.push(t);
  }
  return [online, target];
}

/** Moving average of `online`'s weights into `target`. */
export class EMA {
  private readonly onlineParams: Tensor[];
  private readonly targetParams: Tensor[];
  private readonly onlineBuffers: Tensor[];
  private readonly targetBuffers: Tensor[];

  /**
   * @param online the trained network.
   * @param target the averaged copy (same structure). Its parameters are set not to require
   *   gradients unless `opts.freezeTarget` is false.
   */
  constructor(
    readonly online: AnyModule,
    readonly target: AnyModule,
    opts: { freezeTarget?: boolean } = {},
  ) {
    [this.onlineParams, this.targetParams] = pairs(online.namedParameters(), target.namedParameters(), 'parameter');
    [this.onlineBuffers, this.targetBuffers] = pairs(online.namedBuffers(), target.namedBuffers(), 'buffer');
    if (opts.freezeTarget ?? true) for (const p of this.targetParams) p.requiresGrad_(false);
  }

  /** Copies every parameter and buffer of the online network into the target (initialisation). */
  copyFrom(): void {
    noGrad(() => {
      this.targetParams.forEach((t, i) => {
        t.copy_(this.onlineParams[i]);
      });
      this.targetBuffers.forEach((t, i) => {
        t.copy_(this.onlineBuffers[i]);
      });
    });
  }

  /**
   * `target = m·target + (1 − m)·online` for parameters (m = 1 keeps the target, m = 0 copies the
   * online network); buffers (batch-norm statistics) are copied.
   */
  update(momentum: number): void {
    if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`EMA: momentum must be in [0, 1], got ${momentum}`);
    tidy(() =>
      noGrad(() => {
        fe.mul_(this.targetParams, momentum);
        fe.add_(this.targetParams, this.onlineParams, 1 - momentum);
        this.targetBuffers.forEach((t, i) => {
          t.copy_(this.onlineBuffers[i]);
        });
      }),
    );
  }
}
