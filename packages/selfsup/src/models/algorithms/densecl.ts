/**
 * DenseCL (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised Visual
 * Pre-Training", arXiv:2011.09157), as MMSelfSup's `DenseCL`: MoCo v2 (global InfoNCE with a
 * momentum key encoder and a queue) plus a dense InfoNCE between the dense projections of the two
 * views, each query position's positive being the key position whose backbone feature is most
 * similar (cosine), with a second queue of (position-averaged) dense keys as negatives:
 *
 *   L = (1 − λ)·L_single + λ·L_dense,   λ = `lossLambda` (0.5; DenseCLHook holds it at 0 early on).
 *
 * Views are `(N, C, H, W)`; the neck is a DenseCLNeck. State-dict keys are MMSelfSup's: `queue`,
 * `queue_ptr`, `queue2`, `queue2_ptr`, `backbone.*`, `neck.*`, `encoder_k.steps`, `encoder_k.module.*`.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, prob, z } from '../../core/schema.js';
import type { Backbone } from '../backbones/base.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { DenseCLNeck } from '../necks/densecl-neck.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { MomentumTarget } from './momentum-target.js';
import { batchShuffle, batchUnshuffle, enqueue, randomQueue } from './queue.js';

/**
 * `DenseCL` options (everything but `type`): the neck is a DenseCLNeck (2048 → 2048 → 128,
 * `numGrid` null), the head a ContrastiveHead (MMSelfSup: temperature 0.2).
 */
export const denseCLSchema = z.strictObject({
  ...baseModelShape,
  /** Negatives kept in each queue. Default 65536. */
  queueLen: posInt().optional(),
  /** Dimension of the projections. Default 128. */
  featDim: posInt().optional(),
  /** Key-encoder EMA momentum. Default 0.999. */
  momentum: prob().optional(),
  /** λ, the weight of the dense loss. Default 0.5. */
  lossLambda: prob().optional(),
});
export type DenseCLOptions = z.input<typeof denseCLSchema>;

/**
 * DenseCL's dense similarities. Each query position's positive is the key position whose backbone
 * feature is most similar (argmax cosine); the negatives are the columns of `queue (D, K)`.
 * `qFeat`, `kFeat`: normalised backbone features `(N, C, S²)`; `qGrid`, `kGrid`: normalised dense
 * projections `(N, D, S²)`. Returns `pos (N·S², 1)` and `neg (N·S², K)`, rows ordered (sample, position).
 */
export function denseLogits(
  qFeat: Tensor,
  kFeat: Tensor,
  qGrid: Tensor,
  kGrid: Tensor,
  queue: Tensor,
): { pos: Tensor; neg: Tensor } {
  return torch.tidy(() => {
    const match = torch.noGrad(() => qFeat.transpose(1, 2).matmul(kFeat).max(2).indices);
    const d = kGrid.shape[1];
    const matched = kGrid.gather(2, match.unsqueeze(1).expand(-1, d, -1));
    return {
      pos: qGrid.mul(matched).sum(1).reshape([-1, 1]),
      neg: qGrid.transpose(1, 2).reshape([-1, d]).matmul(queue),
    };
  });
}

interface Projections {
  /** Global projection `(N, D)`, normalised. */
  single: Tensor;
  /** Dense projections `(N, D, S²)`, normalised over D. */
  grid: Tensor;
  /** Position-averaged dense projection `(N, D)`, normalised. */
  pooledGrid: Tensor;
  /** Backbone features at the grid's positions `(N, C, S²)`, normalised over C. */
  feat: Tensor;
}

export class DenseCL extends BaseModel<ContrastiveHead, DenseCLNeck> {
  /** The key encoder (EMA of backbone + neck, constant momentum). */
  readonly encoderK: MomentumTarget<DenseCLNeck>;
  readonly queue: Tensor;
  readonly queuePtr: Tensor;
  /** Queue of dense keys (position-averaged dense projections). */
  readonly queue2: Tensor;
  readonly queue2Ptr: Tensor;
  readonly queueLen: number;
  readonly featDim: number;
  /** λ: weight of the dense loss; public so DenseCLHook can hold it at 0 during warm-up. */
  lossLambda: number;

  constructor(o: DenseCLOptions, path = 'model') {
    super(o, path, { head: ContrastiveHead, neck: DenseCLNeck });
    this.queueLen = o.queueLen ?? 65536;
    this.featDim = o.featDim ?? 128;
    this.lossLambda = o.lossLambda ?? 0.5;
    this.encoderK = this.registerModule(
      'encoder_k',
      this.momentumTarget(o, path, { baseMomentum: o.momentum ?? 0.999, schedule: 'constant' }),
    );
    this.queue = this.registerBuffer('queue', randomQueue(this.featDim, this.queueLen));
    this.queuePtr = this.registerBuffer('queue_ptr', torch.zeros([1], { dtype: 'int64' }));
    this.queue2 = this.registerBuffer('queue2', randomQueue(this.featDim, this.queueLen));
    this.queue2Ptr = this.registerBuffer('queue2_ptr', torch.zeros([1], { dtype: 'int64' }));
  }

  /** Backbone and neck outputs of one view, normalised as DenseCL compares them. */
  private project(backbone: Backbone, neck: DenseCLNeck, x: Tensor): Projections {
    return torch.tidy(() => {
      const outs = backbone.forward(x);
      const [single, grid, pooledGrid] = neck.forward(outs);
      // With `numGrid` the dense projections live on a pooled grid; match the backbone features to it.
      const map = neck.numGrid === null ? outs[0] : F.adaptiveAvgPool2d(outs[0], neck.numGrid);
      return {
        single: F.normalize(single, { dim: 1 }),
        grid: F.normalize(grid, { dim: 1 }),
        pooledGrid: F.normalize(pooledGrid, { dim: 1 }),
        feat: F.normalize(map.flatten(2), { dim: 1 }),
      };
    });
  }

  /** (1 − λ)·global InfoNCE + λ·dense InfoNCE of view 0 (queries) against view 1 (keys). */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'DenseCL');
    return torch.tidy(() => {
      const imQ = this.preprocess(batch.views[0]);
      const imK = this.preprocess(batch.views[1]);
      const q = this.project(this.backbone, this.neck, imQ);
      if (q.single.shape[1] !== this.featDim)
        throw new RangeError(`DenseCL: the neck gives ${q.single.shape[1]}-d features but featDim is ${this.featDim}`);
      const k = torch.noGrad(() => {
        this.encoderK.step();
        const { x, idxUnshuffle } = batchShuffle(imK);
        const p = this.project(this.encoderK.module.backbone, this.encoderK.module.neck, x);
        return {
          single: batchUnshuffle(p.single, idxUnshuffle),
          grid: batchUnshuffle(p.grid, idxUnshuffle),
          pooledGrid: batchUnshuffle(p.pooledGrid, idxUnshuffle),
          feat: batchUnshuffle(p.feat, idxUnshuffle),
        };
      });
      const lPos = q.single.mul(k.single).sum(1, { keepdim: true });
      const lNeg = q.single.matmul(this.queue.clone());
      const dense = denseLogits(q.feat, k.feat, q.grid, k.grid, this.queue2.clone());
      const lossSingle = this.head.forward(lPos, lNeg).mul(1 - this.lossLambda);
      const lossDense = this.head.forward(dense.pos, dense.neg).mul(this.lossLambda);
      enqueue(this.queue, this.queuePtr, k.single);
      enqueue(this.queue2, this.queue2Ptr, k.pooledGrid);
      return {
        loss: lossSingle.add(lossDense),
        logs: { loss_single: lossSingle.item(), loss_dense: lossDense.item() },
      };
    });
  }
}

export const denseCLPart = definePart({
  registry: ALGORITHMS,
  name: 'DenseCL',
  schema: denseCLSchema,
  description: 'DenseCL: MoCo v2 plus a dense InfoNCE between matched positions, with two queues',
  build: (o, path) => new DenseCL(o, path),
});
