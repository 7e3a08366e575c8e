/**
 * MMSelfSup's `SwAVLoss`: swapped prediction of online cluster assignments (Caron et al. 2020,
 * "Unsupervised Learning of Visual Features by Contrasting Cluster Assignments", arXiv:2006.09882).
 *
 * Input: the neck's L2-normalised embeddings of every crop, stacked crop by crop
 * `(Σ numCrops · N, featDim)`. Scores against the prototypes `(K, featDim)` (a bias-free linear
 * layer, `prototypes.weight`, re-normalised to unit rows at every call) are turned into codes `q`
 * by Sinkhorn–Knopp for each crop in `cropsForAssign`, and every other crop predicts them:
 *
 *   L = 1/|A| Σ_{a∈A} 1/(V−1) Σ_{v≠a} −mean_n Σ_k q_{a,nk} log softmax(z_v·Cᵀ/τ)_{nk}.
 *
 * Schedules read from `progress`: the prototypes get no gradient while `iter < freezePrototypesIters`
 * (the paper's first epoch); from epoch `epochQueueStarts` a queue of past embeddings (a buffer, so
 * checkpoints hold it) is filled every call and, once full, enlarges the batch Sinkhorn sees.
 *
 * `queueLength` is global, as MMSelfSup's SwAVHook `queue_length`: the length is first trimmed to a
 * multiple of the global batch (per-process batch × world size), then split over the processes,
 * each keeping `queueLength / worldSize` rows of its own embeddings (3840 over 8 processes of 32:
 * 480 rows each). The buffer holds ⌊queueLength / worldSize⌋ rows (the world size when the loss
 * is built); the trimmed length is used once the batch size is known.
 */
import * as torch from '@selfsup/torch';
import { distributed as dist, F, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { nonNegInt, posInt, posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { LOSSES } from '../registries.js';
import type { TrainProgress } from '../../core/progress.js';

/** The number of processes (1 without a process group). */
const worldSize = () => (dist.isInitialized() ? dist.getWorldSize() : 1);

/**
 * Sinkhorn–Knopp codes from prototype scores `(B, K)` (SwAV's `distributed_sinkhorn`): starting
 * from Q = exp(scores/ε)ᵀ normalised to sum 1, alternately scale rows (prototypes) to sum 1/K and
 * columns (samples) to sum 1/B, `iterations` times; returns Qᵀ·B `(B, K)`, whose rows sum to 1.
 * With a process group, sums run over every rank's samples (B counts all of them).
 */
export function sinkhorn(scores: Tensor, iterations = 3, epsilon = 0.05): Tensor {
  return tidy(() =>
    noGrad(() => {
      const world = worldSize();
      const reduce = (t: Tensor, op: 'sum' | 'max' = 'sum') => {
        if (world > 1) dist.allReduce(t, { op });
        return t;
      };
      // Half-precision scores are raised to float32: exp(·/ε) and the sums need the range.
      const s = scores.dtype === 'float64' ? scores.detach() : scores.detach().float();
      // A common shift of every score cancels in the first normalisation; it keeps exp finite.
      const top = reduce(s.max().reshape([1]), 'max');
      let q = s.sub(top).div(epsilon).exp().t();
      const [k, b0] = q.shape;
      const b = b0 * world;
      q = q.div(reduce(q.sum().reshape([1])));
      for (let i = 0; i < iterations; i++) {
        q = q.div(reduce(q.sum(1, { keepdim: true }))).div(k);
        q = q.div(q.sum(0, { keepdim: true })).div(b);
      }
      return q.mul(b).t().to(scores.dtype);
    }),
  );
}

/** `SwAVLoss` options (everything but `type`). */
export const swavLossSchema = z.strictObject({
  /** Embedding size (the neck's `outChannels`). */
  featDim: posInt(),
  /** Sinkhorn–Knopp iterations. Default 3. */
  sinkhornIterations: posInt().optional(),
  /** Entropic regularisation ε of the codes. Default 0.05. */
  epsilon: posNum().optional(),
  /** Softmax temperature τ of the predictions. Default 0.1. */
  temperature: posNum().optional(),
  /** Crops whose codes are predicted (the two large crops). Default [0, 1]. */
  cropsForAssign: z.array(nonNegInt(), { error: 'expected a list of crop indices' }).min(1).optional(),
  /** Crops per resolution group (`[2, 6]`: 2 large + 6 small). Default [2]. */
  numCrops: z.array(posInt(), { error: 'expected a list of crop counts' }).min(1).optional(),
  /** Number of prototypes K. Default 3000. Fewer than `featDim` warns (a trivial ln K solution exists). */
  numPrototypes: posInt().optional(),
  /** Iterations during which the prototypes get no gradient (MMSelfSup's `frozen_layers_cfg.prototypes`). Default 0. */
  freezePrototypesIters: nonNegInt().optional(),
  /**
   * Embeddings kept per assigned crop over all processes (MMSelfSup's SwAVHook `queue_length`): each
   * process keeps its share, the length trimmed to a multiple of the global batch. 0: no queue. Default 0.
   */
  queueLength: nonNegInt().optional(),
  /** Epoch from which the queue is filled (and used once full). Default 15. */
  epochQueueStarts: nonNegInt().optional(),
});

export type SwAVLossOptions = z.input<typeof swavLossSchema>;

/** SwAV loss (Caron et al. 2020) with its prototypes and queue: `(Σ crops · N, featDim)` → 0-d loss. */
export class SwAVLoss extends nn.Module<[Tensor, TrainProgress?], Tensor> {
  readonly featDim: number;
  readonly sinkhornIterations: number;
  readonly epsilon: number;
  readonly temperature: number;
  readonly cropsForAssign: number[];
  readonly numCrops: number[];
  readonly freezePrototypesIters: number;
  readonly epochQueueStarts: number;
  /** The global queue length (over every process). */
  readonly queueLength: number;
  readonly prototypes: nn.Linear;
  /** `(|cropsForAssign|, ⌊queueLength / worldSize⌋, featDim)` past embeddings, newest first; null without a queue. */
  readonly queue: Tensor | null;

  constructor(opts: SwAVLossOptions) {
    super();
    this.featDim = opts.featDim;
    this.sinkhornIterations = opts.sinkhornIterations ?? 3;
    this.epsilon = opts.epsilon ?? 0.05;
    this.temperature = opts.temperature ?? 0.1;
    this.cropsForAssign = opts.cropsForAssign ?? [0, 1];
    this.numCrops = opts.numCrops ?? [2];
    this.freezePrototypesIters = opts.freezePrototypesIters ?? 0;
    this.epochQueueStarts = opts.epochQueueStarts ?? 15;
    const total = this.totalCrops;
    for (const c of this.cropsForAssign)
      if (!(Number.isInteger(c) && c >= 0 && c < total))
        throw new RangeError(`SwAVLoss: crop ${c} in cropsForAssign is not one of the ${total} crops`);
    if (total < 2) throw new RangeError('SwAVLoss: swapped prediction needs at least 2 crops');
    const k = opts.numPrototypes ?? 3000;
    // Fewer prototypes than dimensions leave directions orthogonal to all of them: embeddings there
    // score 0 everywhere, so prediction and codes are uniform and the loss sits at ln K with zero
    // gradient. The ¼-width CIFAR-10 recipe with 100 prototypes for 128 dimensions collapsed into it.
    if (k < opts.featDim)
      console.warn(
        `selfsup: SwAVLoss has ${k} prototypes for ${opts.featDim}-d embeddings; embeddings orthogonal to every prototype are a trivial solution (loss ln ${k}): use numPrototypes ≥ featDim (SwAV: 3000 for 128)`,
      );
    this.prototypes = this.registerModule('prototypes', new nn.Linear(opts.featDim, k, { bias: false }));
    this.queueLength = opts.queueLength ?? 0;
    const rows = Math.floor(this.queueLength / worldSize());
    this.queue = this.registerBuffer('queue', rows > 0 ? torch.zeros([this.cropsForAssign.length, rows, opts.featDim]) : null);
  }

  /**
   * The queue rows this process uses with a per-process batch of `bs` (MMSelfSup's SwAVHook): the
   * global length trimmed to a multiple of the global batch `bs · worldSize`, split over the
   * processes; 0 (no queue) when the global batch is longer than the queue.
   */
  queueRows(bs: number): number {
    const world = worldSize();
    const global = this.queueLength - (this.queueLength % (bs * world));
    return Math.min(global / world, this.queue?.shape[1] ?? 0);
  }

  /** Σ numCrops. */
  get totalCrops(): number {
    return this.numCrops.reduce((a, b) => a + b, 0);
  }

  /** Re-normalises the prototypes to unit rows, in place (done at every call, as in SwAV). */
  normalizePrototypes(): void {
    tidy(() =>
      noGrad(() => {
        const w = this.prototypes.weight;
        w.copy_(F.normalize(w, { dim: 1 }));
      }),
    );
  }

  /** Whether the prototypes are frozen at `progress` (no progress: not frozen). */
  prototypesFrozen(progress?: TrainProgress): boolean {
    return progress !== undefined && progress.iter < this.freezePrototypesIters;
  }

  /** Whether the queue is filled at `progress` (no progress: from the start). */
  queueStarted(progress?: TrainProgress): boolean {
    return this.queue !== null && (progress?.epoch ?? this.epochQueueStarts) >= this.epochQueueStarts;
  }

  /** `(Σ numCrops · N, featDim)` normalised embeddings → the 0-d SwAV loss. */
  forward(x: Tensor, progress?: TrainProgress): Tensor {
    const total = this.totalCrops;
    if (x.dim() !== 2 || x.shape[1] !== this.featDim)
      throw new RangeError(`SwAVLoss: expected (${total}·N, ${this.featDim}) embeddings, got [${x.shape}]`);
    if (x.shape[0] % total !== 0)
      throw new RangeError(`SwAVLoss: ${x.shape[0]} embeddings are not ${total} crops of one batch size`);
    const bs = x.shape[0] / total;
    this.normalizePrototypes();
    return tidy(() => {
      const w = this.prototypesFrozen(progress) ? this.prototypes.weight.detach() : this.prototypes.weight;
      const scores = x.matmul(w.t());
      const embedding = x.detach();
      const started = this.queueStarted(progress);
      const parts: Tensor[] = [];
      for (const [i, crop] of this.cropsForAssign.entries()) {
        const q = noGrad(() => {
          let out = scores.narrow(0, bs * crop, bs).detach();
          const qLen = this.queueRows(bs);
          if (started && this.queue && qLen > 0) {
            const queue = this.queue.select(0, i).narrow(0, 0, qLen);
            // The queue joins Sinkhorn once it is full (its oldest row is no longer zero).
            if (
              queue
                .select(0, qLen - 1)
                .ne(0)
                .any()
                .item()
            )
              out = torch.cat([queue.matmul(w.detach().t()), out]);
            const kept = queue.narrow(0, 0, qLen - bs).clone();
            queue.narrow(0, bs, qLen - bs).copy_(kept);
            queue.narrow(0, 0, bs).copy_(embedding.narrow(0, bs * crop, bs));
          }
          const codes = sinkhorn(out, this.sinkhornIterations, this.epsilon);
          return codes.narrow(0, codes.shape[0] - bs, bs);
        });
        const terms: Tensor[] = [];
        for (let v = 0; v < total; v++) {
          if (v === crop) continue;
          const logp = F.logSoftmax(scores.narrow(0, bs * v, bs).div(this.temperature), 1);
          terms.push(q.mul(logp).sum(1).mean().neg());
        }
        parts.push(
          torch
            .stack(terms)
            .sum()
            .div(total - 1),
        );
      }
      return torch.stack(parts).sum().div(this.cropsForAssign.length);
    });
  }

  override extraRepr(): string {
    return `feat_dim=${this.featDim}, num_prototypes=${this.prototypes.outFeatures}, epsilon=${this.epsilon}, temperature=${this.temperature}, num_crops=[${this.numCrops}], crops_for_assign=[${this.cropsForAssign}]`;
  }
}

/** `SwAVLoss` in LOSSES. */
export const swavLossPart = definePart({
  registry: LOSSES,
  name: 'SwAVLoss',
  schema: swavLossSchema,
  description: 'SwAV swapped prediction with Sinkhorn–Knopp codes (ε 0.05, 3 iterations, τ 0.1), optional queue',
  build: (o) => new SwAVLoss(o),
});
