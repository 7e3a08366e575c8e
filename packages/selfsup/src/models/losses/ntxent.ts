/**
 * NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020, "A Simple
 * Framework for Contrastive Learning of Visual Representations", arXiv:2002.05709). For 2N
 * L2-normalised projections (two views of N images) and sim(u, v) = uᵀv:
 *
 *   ℓ(i, j) = −log exp(sim(zᵢ, zⱼ)/τ) / Σ_{k≠i} exp(sim(zᵢ, zₖ)/τ),
 *   L = 1/(2N) Σ_k [ℓ(k, k+N) + ℓ(k+N, k)].
 *
 * MMSelfSup's SimCLR computes the same loss as ContrastiveHead(cat(pos, neg)/τ, label 0) on the
 * (2N, 2N−1) similarity matrix without its diagonal. Distributed, every process's projections are
 * negatives (all-gathered with gradient, MMSelfSup's GatherLayer); each process averages over its
 * own 2N rows, so the loss averaged over processes is the loss of the global batch.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import { contrastiveLoss, gatherRows } from './info-nce.js';

export interface NTXentOptions {
  /** τ. Default 0.1 (MMSelfSup's SimCLR). */
  temperature?: number;
  /** Use every process's projections as negatives. Default true; no effect in one process. */
  gather?: boolean;
}

/** The similarities NT-Xent contrasts, in MMSelfSup's ContrastiveHead form. */
export interface NTXentPairs {
  /** `(2N, 1)`: each projection with its other view. */
  pos: Tensor;
  /**
   * `(2N, 2N·W)`: each projection with every projection of the (gathered) batch, itself and its
   * positive set to −∞ — left out of the softmax without copying the other 2N·W − 2 out.
   */
  neg: Tensor;
}

/**
 * Cosine similarities of view 1 `z1 (N, D)` and view 2 `z2 (N, D)` (row i of each a positive pair)
 * as MMSelfSup's SimCLR hands them to its ContrastiveHead: rows are `cat(z1, z2)`, `pos` the other
 * view, `neg` every other gathered projection (itself and its positive at −∞, which
 * CE(cat(pos, neg)/τ, 0) gives zero weight: the same loss and gradients as removing them).
 */
export function ntxentPairs(z1: Tensor, z2: Tensor, opts: { gather?: boolean } = {}): NTXentPairs {
  if (z1.dim() !== 2 || z2.dim() !== 2 || z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1])
    throw new RangeError(`ntxentPairs: z1 and z2 must both be (N, D), got [${z1.shape}] and [${z2.shape}]`);
  const [pos, neg] = torch.tidy(() => {
    const n = z1.shape[0];
    const z = F.normalize(torch.cat([z1, z2], 0), { dim: 1 });
    const keys = opts.gather === false ? z : gatherRows(z);
    // This process's rows sit at [rank·2N, (rank+1)·2N) of the gathered keys.
    const offset = keys === z ? 0 : 2 * n * torch.distributed.getRank();
    const rows = torch.arange(0, 2 * n, 1, { dtype: 'int64', device: z.device });
    const self = rows.add(offset).unsqueeze(1);
    const positive = rows
      .add(n)
      .remainder(2 * n)
      .add(offset)
      .unsqueeze(1);
    const sim = z.matmul(keys.t());
    const drop = torch.zeros(sim.shape, { dtype: 'bool', device: z.device }).scatter(1, self, true).scatter(1, positive, true);
    return [sim.gather(1, positive), sim.maskedFill(drop, Number.NEGATIVE_INFINITY)];
  });
  return { pos, neg };
}

/** NT-Xent of the projections of view 1 `z1 (N, D)` and view 2 `z2 (N, D)` (row i of each a positive pair). */
export function ntxentLoss(z1: Tensor, z2: Tensor, opts: NTXentOptions = {}): Tensor {
  const t = opts.temperature ?? 0.1;
  if (!(t > 0)) throw new RangeError(`ntxentLoss: temperature must be positive, got ${t}`);
  return torch.tidy(() => {
    const { pos, neg } = ntxentPairs(z1, z2, { gather: opts.gather });
    return contrastiveLoss(pos, neg, t);
  });
}
