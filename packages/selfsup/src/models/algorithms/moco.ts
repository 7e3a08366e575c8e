/**
 * MoCo v1/v2 (He et al. 2020, "Momentum Contrast for Unsupervised Visual Representation Learning",
 * arXiv:1911.05722; Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning",
 * arXiv:2003.04297), as MMSelfSup's `MoCo`: a query encoder (backbone → neck) trained with
 * InfoNCE against a momentum-averaged key encoder's key of the other view (positive) and a queue
 * of past keys (negatives); shuffle-BN across processes when distributed.
 *
 * Views are `(N, C, H, W)`; view 0 is the query, view 1 the key. State-dict keys are MMSelfSup's:
 * `queue (D, K)`, `queue_ptr (1)`, `backbone.*`, `neck.*`, `encoder_k.steps`, `encoder_k.module.*`.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, prob, z } from '../../core/schema.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { MomentumTarget } from './momentum-target.js';
import { batchShuffle, batchUnshuffle, enqueue, randomQueue } from './queue.js';

/** `MoCo` options (everything but `type`); the head is a ContrastiveHead (`temperature` 0.07 for v1, 0.2 for v2). */
export const mocoSchema = z.strictObject({
  ...baseModelShape,
  /** Negatives kept in the queue. Default 65536. */
  queueLen: posInt().optional(),
  /** Dimension of the neck's output (the queue's rows). Default 128. */
  featDim: posInt().optional(),
  /** Key-encoder EMA momentum. Default 0.999. */
  momentum: prob().optional(),
});
export type MoCoOptions = z.input<typeof mocoSchema>;

export class MoCo extends BaseModel<ContrastiveHead> {
  /** The key encoder (EMA of backbone + neck, constant momentum). */
  readonly encoderK: MomentumTarget;
  /** `(featDim, queueLen)`: L2-normalised keys of past batches, one per column. */
  readonly queue: Tensor;
  /** `(1)` int64: the column the next key goes to. */
  readonly queuePtr: Tensor;
  readonly queueLen: number;
  readonly featDim: number;

  constructor(o: MoCoOptions, path = 'model') {
    super(o, path, { head: ContrastiveHead });
    this.queueLen = o.queueLen ?? 65536;
    this.featDim = o.featDim ?? 128;
    this.encoderK = this.registerModule(
      'encoder_k',
      this.momentumTarget(o, path, { baseMomentum: o.momentum ?? 0.999, schedule: 'constant' }),
    );
    this.queue = this.registerBuffer('queue', randomQueue(this.featDim, this.queueLen));
    this.queuePtr = this.registerBuffer('queue_ptr', torch.zeros([1], { dtype: 'int64' }));
  }

  /** Views 0 (queries) and 1 (keys): InfoNCE against the key and the queue, then the keys are enqueued. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'MoCo');
    return torch.tidy(() => {
      const imQ = this.preprocess(batch.views[0]);
      const imK = this.preprocess(batch.views[1]);
      const q = F.normalize(this.encode(imQ)[0], { dim: 1 });
      if (q.shape[1] !== this.featDim)
        throw new RangeError(`MoCo: the neck gives ${q.shape[1]}-d features but featDim is ${this.featDim}`);
      const k = torch.noGrad(() => {
        this.encoderK.step();
        const { x, idxUnshuffle } = batchShuffle(imK);
        return batchUnshuffle(F.normalize(this.encoderK.forward(x)[0], { dim: 1 }), idxUnshuffle);
      });
      const lPos = q.mul(k).sum(1, { keepdim: true });
      // A copy: the queue changes in place below, before backward needs these negatives.
      const lNeg = q.matmul(this.queue.clone());
      const loss = this.head.forward(lPos, lNeg);
      enqueue(this.queue, this.queuePtr, k);
      return { loss, logs: { loss_contrastive: loss.item() } };
    });
  }
}

export const mocoPart = definePart({
  registry: ALGORITHMS,
  name: 'MoCo',
  schema: mocoSchema,
  description: 'MoCo v1/v2: InfoNCE with a momentum key encoder and a queue of negatives',
  build: (o, path) => new MoCo(o, path),
});
