/**
 * Gradient clipping, as `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` (Pascanu et al.
 * 2013, "On the difficulty of training recurrent neural networks", arXiv:1211.5063).
 */
import { noGrad } from '../autograd.js';
import { stack } from '../math.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import * as fe from './foreach.js';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const grads: Tensor[] = [];
  for (const p of list) {
    const g = p.grad;
    if (g) grads.push(g);
  }
  return grads;
}

/**
 * Scales the gradients of `params` in place so that their joint `normType`-norm (all gradients
 * viewed as one vector; `Infinity` for the max-norm) is at most `maxNorm`, with PyTorch's formula:
 * `coef = min(1, maxNorm / (total + 1e-6))`, every gradient multiplied by `coef`.
 *
 * @returns the total norm before clipping (a number; parameters without a gradient are ignored, 0 if none has one).
 * @throws when the norm is NaN/inf and `errorIfNonfinite` is set.
 */
export function clipGradNorm_(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): number {
  return tidy(() =>
    noGrad(() => {
      const grads = gradsOf(params);
      if (grads.length === 0) return 0;
      const norms = fe.norm(grads, normType);
      let total: Tensor;
      if (normType === Number.POSITIVE_INFINITY) total = norms.length === 1 ? norms[0] : stack(norms).max();
      else total = stack(norms).norm(normType);
      const value = total.item();
      if (opts.errorIfNonfinite && !Number.isFinite(value)) {
        throw new RangeError(
          `clipGradNorm_: the total norm of order ${normType} of the gradients is non-finite, so it cannot be clipped; pass errorIfNonfinite: false to scale by it anyway`,
        );
      }
      // Python's `max_norm / (total + 1e-6)` is `reciprocal(total + 1e-6) * max_norm`.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clampMax(1);
      fe.mulTensors_(
        grads,
        grads.map(() => coef),
      );
      return value;
    }),
  );
}

/** Clamps every gradient of `params` to `[-clipValue, clipValue]` in place (`clip_grad_value_`). */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  tidy(() =>
    noGrad(() => {
      for (const g of gradsOf(params)) g.clamp_({ min: -clipValue, max: clipValue });
    }),
  );
}
