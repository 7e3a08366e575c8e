/**
 * MMSelfSup's `CrossCorrelationLoss`, the redundancy-reduction objective of Barlow Twins (Zbontar
 * et al. 2021, arXiv:2103.03230) on a `(D, D)` cross-correlation matrix `C` of two views'
 * batch-normalised embeddings:
 *
 *   L = Σᵢ (1 − Cᵢᵢ)² + λ · Σᵢ Σ_{j≠i} Cᵢⱼ²,   λ = 0.0051 by default.
 */
import { nn, ops, type Tensor, tidy } from '@selfsup/torch';
import { nonNegNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { LOSSES } from '../registries.js';

/** The off-diagonal elements of a square `(n, n)` matrix as a flat `(n² − n)` vector (a view, no copy of the data). */
export function offDiagonal(x: Tensor): Tensor {
  const [n, m] = x.shape;
  if (x.dim() !== 2 || n !== m) throw new RangeError(`offDiagonal: expected a square matrix, got [${x.shape}]`);
  return tidy(() =>
    x
      .flatten()
      .narrow(0, 0, n * n - 1)
      .view([n - 1, n + 1])
      .narrow(1, 1, n)
      .flatten(),
  );
}

/** `CrossCorrelationLoss` options (everything but `type`). */
export const crossCorrelationLossSchema = z.strictObject({
  /** Weight λ of the off-diagonal (redundancy) term. Default 0.0051. */
  lambd: nonNegNum().optional(),
});

export type CrossCorrelationLossOptions = z.input<typeof crossCorrelationLossSchema>;

/** The two terms of the Barlow Twins loss, as 0-d tensors. */
export interface CrossCorrelationTerms {
  /** Σ (1 − Cᵢᵢ)²: invariance. */
  onDiag: Tensor;
  /** Σ_{i≠j} Cᵢⱼ²: redundancy (not yet weighted by λ). */
  offDiag: Tensor;
}

/** Barlow Twins loss (Zbontar et al. 2021) of a `(D, D)` cross-correlation matrix → 0-d loss. */
export class CrossCorrelationLoss extends nn.Module {
  readonly lambd: number;

  constructor(opts: CrossCorrelationLossOptions = {}) {
    super();
    this.lambd = opts.lambd ?? 0.0051;
  }

  /** Both terms of the loss of a `(D, D)` cross-correlation matrix. */
  terms(c: Tensor): CrossCorrelationTerms {
    return tidy(() => ({
      onDiag: ops.aten.diagonal(c).sub(1).square().sum(),
      offDiag: offDiagonal(c).square().sum(),
    }));
  }

  /** `(D, D)` cross-correlation matrix → the 0-d loss `on + λ·off`. */
  forward(c: Tensor): Tensor {
    return tidy(() => {
      const { onDiag, offDiag } = this.terms(c);
      return onDiag.add(offDiag.mul(this.lambd));
    });
  }

  override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

/** `CrossCorrelationLoss` in LOSSES. */
export const crossCorrelationLossPart = definePart({
  registry: LOSSES,
  name: 'CrossCorrelationLoss',
  schema: crossCorrelationLossSchema,
  description: 'Barlow Twins redundancy reduction Σ(1−Cᵢᵢ)² + λΣ_{i≠j}Cᵢⱼ²',
  build: (o) => new CrossCorrelationLoss(o),
});
