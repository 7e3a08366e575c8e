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
import { posInt, prob, typed, z } from '../../engine/config/schema.js';
import { BACKBONES, configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type DataPreprocessorOptions, type LossOutput } from './base.js';
import { buildAs, dataPreprocessorSchema } from './parts.js';
import { Encoder, MomentumEncoder } from './momentum-encoder.js';
import { batchShuffle, batchUnshuffle, enqueue, randomQueue } from './queue.js';

export interface MoCoOptions {
  backbone: TypedConfig;
  neck: TypedConfig;
  /** A ContrastiveHead (`temperature` 0.07 for v1, 0.2 for v2). */
  head: TypedConfig;
  /** Negatives kept in the queue. Default 65536. */
  queueLen?: number;
  /** Dimension of the neck's output (the queue's rows). Default 128. */
  featDim?: number;
  /** Key-encoder EMA momentum. Default 0.999. */
  momentum?: number;
  dataPreprocessor?: DataPreprocessorOptions;
}

export const mocoSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  queueLen: posInt().optional(),
  featDim: posInt().optional(),
  momentum: prob().optional(),
  dataPreprocessor: dataPreprocessorSchema(),
});

export class MoCo extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: ContrastiveHead;
  readonly encoderK: MomentumEncoder;
  /** `(featDim, queueLen)`: L2-normalised keys of past batches, one per column. */
  readonly queue: Tensor;
  /** `(1)` int64: the column the next key goes to. */
  readonly queuePtr: Tensor;
  readonly queueLen: number;
  readonly featDim: number;
  readonly momentum: number;

  constructor(opts: MoCoOptions, path = 'model') {
    super(opts.dataPreprocessor);
    this.queueLen = opts.queueLen ?? 65536;
    this.featDim = opts.featDim ?? 128;
    this.momentum = opts.momentum ?? 0.999;
    this.queue = this.registerBuffer('queue', randomQueue(this.featDim, this.queueLen));
    this.queuePtr = this.registerBuffer('queue_ptr', torch.zeros([1], { dtype: 'int64' }));
    this.backbone = this.registerModule('backbone', BACKBONES.build(opts.backbone, `${path}.backbone`));
    this.neck = this.registerModule('neck', buildNeck(opts.neck, `${path}.neck`));
    this.head = this.registerModule('head', buildAs(HEADS, opts.head, `${path}.head`, ContrastiveHead, 'MoCo'));
    const copy = new Encoder(BACKBONES.build(opts.backbone, `${path}.backbone`), buildNeck(opts.neck, `${path}.neck`));
    this.encoderK = this.registerModule('encoder_k', new MomentumEncoder(new Encoder(this.backbone, this.neck), copy));
  }

  /** Views 0 (queries) and 1 (keys): InfoNCE against the key and the queue, then the keys are enqueued. */
  loss(batch: AlgorithmInput): LossOutput {
    if (batch.views.length < 2) throw new RangeError(`MoCo: needs 2 views, got ${batch.views.length}`);
    return torch.tidy(() => {
      const imQ = this.preprocess(batch.views[0]);
      const imK = this.preprocess(batch.views[1]);
      const q = F.normalize(this.neck.forward(this.backbone.forward(imQ))[0], { dim: 1 });
      if (q.shape[1] !== this.featDim)
        throw new RangeError(`MoCo: the neck gives ${q.shape[1]}-d features but featDim is ${this.featDim}`);
      const k = torch.noGrad(() => {
        this.encoderK.update(this.momentum);
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

ALGORITHMS.register('MoCo', (cfg, path) => new MoCo(configOptions<MoCoOptions>(cfg), path), {
  schema: mocoSchema,
  description: 'MoCo v1/v2: InfoNCE with a momentum key encoder and a queue of negatives',
});
