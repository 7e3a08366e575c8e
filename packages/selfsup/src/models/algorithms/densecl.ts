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
import { ConfigError, posInt, prob, typed, z } from '../../engine/config/schema.js';
import { BACKBONES, configOptions, type TypedConfig, HEADS } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { DenseCLNeck } from '../necks/densecl-neck.js';
import { buildNeck } from '../necks/neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type DataPreprocessorOptions, type LossOutput } from './base.js';
import { batchShuffle, batchUnshuffle, enqueue, randomQueue } from './queue.js';
import { buildAs, dataPreprocessorSchema } from './parts.js';
import { Encoder, MomentumEncoder } from './momentum-encoder.js';

export interface DenseCLOptions {
  backbone: TypedConfig;
  /** A DenseCLNeck (2048 → 2048 → 128, `numGrid` null). */
  neck: TypedConfig;
  /** A ContrastiveHead (MMSelfSup: temperature 0.2). */
  head: TypedConfig;
  /** Negatives kept in each queue. Default 65536. */
  queueLen?: number;
  /** Dimension of the projections. Default 128. */
  featDim?: number;
  /** Key-encoder EMA momentum. Default 0.999. */
  momentum?: number;
  /** λ, the weight of the dense loss. Default 0.5. */
  lossLambda?: number;
  dataPreprocessor?: DataPreprocessorOptions;
}

export const denseCLSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  queueLen: posInt().optional(),
  featDim: posInt().optional(),
  momentum: prob().optional(),
  lossLambda: prob().optional(),
  dataPreprocessor: dataPreprocessorSchema(),
});

/** Builds a neck and checks it is a DenseCLNeck (DenseCL needs its three outputs). */
function buildDenseNeck(cfg: TypedConfig, path: string): DenseCLNeck {
  const neck = buildNeck(cfg, path);
  if (!(neck instanceof DenseCLNeck)) throw new ConfigError(`${path}.type`, `DenseCL needs a DenseCLNeck, got '${cfg.type}'`);
  return neck;
}

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

export class DenseCL extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: DenseCLNeck;
  readonly head: ContrastiveHead;
  readonly encoderK: MomentumEncoder;
  readonly queue: Tensor;
  readonly queuePtr: Tensor;
  /** Queue of dense keys (position-averaged dense projections). */
  readonly queue2: Tensor;
  readonly queue2Ptr: Tensor;
  readonly queueLen: number;
  readonly featDim: number;
  readonly momentum: number;
  /** λ: weight of the dense loss; public so DenseCLHook can hold it at 0 during warm-up. */
  lossLambda: number;
  /** The key encoder's parts (inside `encoderK.module`), typed. */
  private readonly keyBackbone: Backbone;
  private readonly keyNeck: DenseCLNeck;

  constructor(opts: DenseCLOptions, path = 'model') {
    super(opts.dataPreprocessor);
    this.queueLen = opts.queueLen ?? 65536;
    this.featDim = opts.featDim ?? 128;
    this.momentum = opts.momentum ?? 0.999;
    this.lossLambda = opts.lossLambda ?? 0.5;
    this.queue = this.registerBuffer('queue', randomQueue(this.featDim, this.queueLen));
    this.queuePtr = this.registerBuffer('queue_ptr', torch.zeros([1], { dtype: 'int64' }));
    this.queue2 = this.registerBuffer('queue2', randomQueue(this.featDim, this.queueLen));
    this.queue2Ptr = this.registerBuffer('queue2_ptr', torch.zeros([1], { dtype: 'int64' }));
    this.backbone = this.registerModule('backbone', BACKBONES.build(opts.backbone, `${path}.backbone`));
    this.neck = this.registerModule('neck', buildDenseNeck(opts.neck, `${path}.neck`));
    this.head = this.registerModule('head', buildAs(HEADS, opts.head, `${path}.head`, ContrastiveHead, 'DenseCL'));
    this.keyBackbone = BACKBONES.build(opts.backbone, `${path}.backbone`);
    this.keyNeck = buildDenseNeck(opts.neck, `${path}.neck`);
    this.encoderK = this.registerModule(
      'encoder_k',
      new MomentumEncoder(new Encoder(this.backbone, this.neck), new Encoder(this.keyBackbone, this.keyNeck)),
    );
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
    if (batch.views.length < 2) throw new RangeError(`DenseCL: needs 2 views, got ${batch.views.length}`);
    return torch.tidy(() => {
      const imQ = this.preprocess(batch.views[0]);
      const imK = this.preprocess(batch.views[1]);
      const q = this.project(this.backbone, this.neck, imQ);
      if (q.single.shape[1] !== this.featDim)
        throw new RangeError(`DenseCL: the neck gives ${q.single.shape[1]}-d features but featDim is ${this.featDim}`);
      const k = torch.noGrad(() => {
        this.encoderK.update(this.momentum);
        const { x, idxUnshuffle } = batchShuffle(imK);
        const p = this.project(this.keyBackbone, this.keyNeck, x);
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

ALGORITHMS.register('DenseCL', (cfg, path) => new DenseCL(configOptions<DenseCLOptions>(cfg), path), {
  schema: denseCLSchema,
  description: 'DenseCL: MoCo v2 plus a dense InfoNCE between matched positions, with two queues',
});
