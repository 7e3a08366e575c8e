/**
 * `VICRegLoss`: Variance-Invariance-Covariance Regularization (Bardes, Ponce & LeCun 2022,
 * arXiv:2105.04906, ICLR) on two views' embeddings `z, z′` of shape `(N, D)`:
 *
 *   s(z, z′) = mean((z − z′)²)                                   (invariance, `F.mse_loss`)
 *   v(z)     = mean_j relu(γ − √(Var(z_{·j}) + ε))                (variance, per dimension)
 *   c(z)     = Σ_{i≠j} Cov(z)ᵢⱼ² / D,  Cov(z) = (z − z̄)ᵀ(z − z̄)/(N − 1)   (covariance)
 *   L        = λ·s + μ·(v(z) + v(z′))/2 + ν·(c(z) + c(z′))
 *
 * with λ = μ = 25, ν = 1, γ = 1, ε = 1e-4 (the paper's and the official code's values; Var is the
 * unbiased variance).
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { nonNegNum, posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { LOSSES } from '../registries.js';
import { offDiagonal } from './cross-correlation.js';

/** `VICRegLoss` options (everything but `type`). */
export const vicregLossSchema = z.strictObject({
  /** λ, weight of the invariance term. Default 25. */
  simCoeff: nonNegNum().optional(),
  /** μ, weight of the variance term. Default 25. */
  stdCoeff: nonNegNum().optional(),
  /** ν, weight of the covariance term. Default 1. */
  covCoeff: nonNegNum().optional(),
  /** γ, the target standard deviation. Default 1. */
  gamma: posNum().optional(),
  /** ε inside the square root. Default 1e-4. */
  eps: posNum().optional(),
});

export type VICRegLossOptions = z.input<typeof vicregLossSchema>;

/** The unweighted terms and the weighted total, as 0-d tensors. */
export interface VICRegTerms {
  loss: Tensor;
  /** s: mean squared difference of the two views. */
  sim: Tensor;
  /** (v(z) + v(z′)) / 2. */
  std: Tensor;
  /** c(z) + c(z′). */
  cov: Tensor;
}

/** VICReg loss (Bardes et al. 2022) of two views' embeddings `(N, D)` → 0-d loss. */
export class VICRegLoss extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly simCoeff: number;
  readonly stdCoeff: number;
  readonly covCoeff: number;
  readonly gamma: number;
  readonly eps: number;

  constructor(opts: VICRegLossOptions = {}) {
    super();
    this.simCoeff = opts.simCoeff ?? 25;
    this.stdCoeff = opts.stdCoeff ?? 25;
    this.covCoeff = opts.covCoeff ?? 1;
    this.gamma = opts.gamma ?? 1;
    this.eps = opts.eps ?? 1e-4;
  }

  /** Every term for embeddings `x`, `y` of shape `(N, D)` (N ≥ 2). */
  terms(x: Tensor, y: Tensor): VICRegTerms {
    if (x.dim() !== 2 || y.dim() !== 2 || x.shape[0] !== y.shape[0] || x.shape[1] !== y.shape[1])
      throw new RangeError(`VICRegLoss: expected two (N, D) embeddings of one shape, got [${x.shape}] and [${y.shape}]`);
    const [n, d] = x.shape;
    if (n < 2) throw new RangeError('VICRegLoss: the variance and covariance terms need a batch of at least 2');
    return tidy(() => {
      const sim = F.mseLoss(x, y);
      const xc = x.sub(x.mean(0, { keepdim: true }));
      const yc = y.sub(y.mean(0, { keepdim: true }));
      const hinge = (c: Tensor) => F.relu(c.var(0).add(this.eps).sqrt().rsub(this.gamma)).mean();
      const std = hinge(xc).add(hinge(yc)).div(2);
      const covTerm = (c: Tensor) =>
        offDiagonal(
          c
            .t()
            .matmul(c)
            .div(n - 1),
        )
          .square()
          .sum()
          .div(d);
      const cov = covTerm(xc).add(covTerm(yc));
      const loss = sim.mul(this.simCoeff).add(std.mul(this.stdCoeff)).add(cov.mul(this.covCoeff));
      return { loss, sim, std, cov };
    });
  }

  /** `(N, D)`, `(N, D)` → the 0-d weighted loss. */
  forward(x: Tensor, y: Tensor): Tensor {
    return tidy(() => this.terms(x, y).loss);
  }

  override extraRepr(): string {
    return `sim_coeff=${this.simCoeff}, std_coeff=${this.stdCoeff}, cov_coeff=${this.covCoeff}`;
  }
}

/** `VICRegLoss` in LOSSES. */
export const vicregLossPart = definePart({
  registry: LOSSES,
  name: 'VICRegLoss',
  schema: vicregLossSchema,
  description: 'VICReg: 25·invariance + 25·variance hinge + 1·covariance (Bardes et al. 2022)',
  build: (o) => new VICRegLoss(o),
});
