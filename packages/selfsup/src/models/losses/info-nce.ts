/**
 * InfoNCE (van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding",
 * arXiv:1807.03748), the loss of MoCo (He et al. 2020, arXiv:1911.05722) and MoCo v3 (Chen et al.
 * 2021, arXiv:2104.02057): for a query q with positive key k⁺ and negatives k⁻,
 *
 *   ℓ = −log exp(q·k⁺/τ) / (exp(q·k⁺/τ) + Σ exp(q·k⁻/τ)),
 *
 * i.e. cross-entropy with label 0 over the logits `cat(pos, neg)/τ` (MMSelfSup's ContrastiveHead).
 * Shapes: queries and keys `(N, D)`, negatives `(K, D)`.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';

/**
 * MMSelfSup's ContrastiveHead loss: `pos (N, 1)` and `neg (N, K)` similarities → mean over N of
 * CE(cat(pos, neg)/τ, 0).
 */
export function contrastiveLoss(pos: Tensor, neg: Tensor, temperature: number): Tensor {
  if (!(temperature > 0)) throw new RangeError(`contrastiveLoss: temperature must be positive, got ${temperature}`);
  if (pos.dim() !== 2 || pos.shape[1] !== 1) throw new RangeError(`contrastiveLoss: pos must be (N, 1), got [${pos.shape}]`);
  if (neg.dim() !== 2 || neg.shape[0] !== pos.shape[0])
    throw new RangeError(`contrastiveLoss: neg must be (N, K) with N = ${pos.shape[0]}, got [${neg.shape}]`);
  return torch.tidy(() => {
    const logits = torch.cat([pos, neg], 1).div(temperature);
    return F.crossEntropy(logits, torch.zeros([pos.shape[0]], { dtype: 'int64', device: pos.device }));
  });
}

/**
 * The other processes' rows of `x` too (rank order), when running distributed: with a gradient
 * path back to every rank when `x` needs one (MMSelfSup's GatherLayer), else a plain gather.
 * One process: `x` itself.
 */
export function gatherRows(x: Tensor): Tensor {
  if (torch.distributed.getWorldSize() <= 1) return x;
  return torch.tidy(() =>
    torch.cat(x.requiresGrad ? torch.distributed.allGatherWithGrad(x) : torch.distributed.allGather(x.contiguous()), 0),
  );
}

export interface InfoNceOptions {
  /** τ. Default 0.1 (MMSelfSup's ContrastiveHead; MoCo v1 uses 0.07, v2 0.2, v3 1.0 / 0.2). */
  temperature?: number;
  /**
   * Explicit negatives `(K, D)` (a MoCo queue, transposed). Without them the other keys of the
   * batch are the negatives (MoCo v3): logits q·kᵀ over every key, the matching key positive.
   */
  negatives?: Tensor | null;
  /** L2-normalise queries, keys and negatives first. Default true. */
  normalize?: boolean;
  /**
   * With in-batch negatives, gather every process's keys so each query sees the global batch
   * (labels offset by rank, as MoCo v3). Default true; no effect in one process.
   */
  gather?: boolean;
}

/** Mean InfoNCE of queries `(N, D)` against their keys `(N, D)` (row i of each is a positive pair). */
export function infoNceLoss(query: Tensor, key: Tensor, opts: InfoNceOptions = {}): Tensor {
  const t = opts.temperature ?? 0.1;
  if (!(t > 0)) throw new RangeError(`infoNceLoss: temperature must be positive, got ${t}`);
  if (query.dim() !== 2 || key.dim() !== 2 || query.shape[0] !== key.shape[0] || query.shape[1] !== key.shape[1])
    throw new RangeError(`infoNceLoss: query and key must both be (N, D), got [${query.shape}] and [${key.shape}]`);
  return torch.tidy(() => {
    const norm = opts.normalize ?? true;
    const q = norm ? F.normalize(query, { dim: 1 }) : query;
    const k = norm ? F.normalize(key, { dim: 1 }) : key;
    if (opts.negatives) {
      const negatives = norm ? F.normalize(opts.negatives, { dim: 1 }) : opts.negatives;
      return contrastiveLoss(q.mul(k).sum(1, { keepdim: true }), q.matmul(negatives.t()), t);
    }
    const keys = opts.gather === false ? k : gatherRows(k);
    const n = q.shape[0];
    const offset = keys === k ? 0 : n * torch.distributed.getRank();
    const labels = torch.arange(offset, offset + n, 1, { dtype: 'int64', device: q.device });
    return F.crossEntropy(q.matmul(keys.t()).div(t), labels);
  });
}
