/**
 * MoCo v1/v2 (He et al. 2020, "Momentum Contrast for Unsupervised Visual Representation Learning",
 * arXiv:1911.05722; Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning",
 * arXiv:2003.04297), as MMSelfSup's `MoCo`: a query encoder (backbone → neck) trained with
 * InfoNCE against a momentum-averaged key encoder's key of the other view (positive) and a queue
 * of past keys (negatives); shuffle-BN across processes when distributed.
 *
 * Also the pieces DenseCL and MoCo v3 share: `Encoder`, `MomentumEncoder` (mmengine's
 * ExponentialMovingAverage layout: `module.0.*` backbone, `module.1.*` neck, `steps`),
 * `batchShuffle`/`batchUnshuffle` and `enqueue`.
 *
 * Views are `(N, C, H, W)`; view 0 is the query, view 1 the key. State-dict keys are MMSelfSup's:
 * `queue (D, K)`, `queue_ptr (1)`, `backbone.*`, `neck.*`, `encoder_k.steps`, `encoder_k.module.*`.
 */
import * as torch from '@selfsup/torch';
import { F, nn, optim, type Tensor } from '@selfsup/torch';
import { ConfigError, num, posInt, prob, typed, z } from '../../engine/config/schema.js';
import { BACKBONES, configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type DataPreprocessorOptions, type LossOutput } from './base.js';

/** `dataPreprocessor` options of an algorithm config. */
export const dataPreprocessorSchema = () =>
  z.strictObject({ mean: z.array(num()).optional(), std: z.array(num()).optional() }).optional();

/** Backbone then neck, with nn.Sequential's child names (`0`, `1`) as in MMSelfSup's encoders. */
export class Encoder extends nn.Module<[Tensor], Tensor[]> {
  constructor(
    readonly backbone: Backbone,
    readonly neck: Neck,
  ) {
    super();
    this.registerModule('0', backbone);
    this.registerModule('1', neck);
  }

  /** `(N, C, H, W)` → the neck's outputs. */
  forward(x: Tensor): Tensor[] {
    return torch.tidy(() => this.neck.forward(this.backbone.forward(x)));
  }
}

/**
 * A momentum (EMA) copy of an encoder — MoCo's key encoder, MoCo v3's momentum encoder — laid
 * out as mmengine's `ExponentialMovingAverage` (`module`, `steps`) so MMSelfSup checkpoints load.
 * `update(m)`: θ_k ← m·θ_k + (1 − m)·θ_q for parameters; buffers (BN statistics) are copied; the
 * first update (steps = 0) copies the online encoder.
 */
export class MomentumEncoder extends nn.Module<[Tensor], Tensor[]> {
  readonly module: Encoder;
  /** Updates done (int64 scalar, in the state dict as mmengine's `steps`). */
  readonly steps: Tensor;

  /** `copy` must have `online`'s structure; it is overwritten with `online`'s weights and frozen. */
  constructor(
    private readonly online: Encoder,
    copy: Encoder,
  ) {
    super();
    this.module = this.registerModule('module', copy);
    this.steps = this.registerBuffer('steps', torch.tensor(0, { dtype: 'int64' }));
    this.pairing().copyFrom();
  }

  /**
   * The parameter/buffer pairing, made afresh for each update: layers may be swapped after
   * construction (the runner's `syncBn` converts BatchNorm to SyncBatchNorm), which replaces tensors.
   */
  private pairing(): optim.EMA {
    return new optim.EMA(this.online, this.module);
  }

  /** One EMA step with momentum `m` (weight of the old average). */
  update(momentum: number): void {
    const ema = this.pairing();
    if (this.steps.item() === 0) ema.copyFrom();
    else ema.update(momentum);
    torch.noGrad(() => this.steps.add_(1));
  }

  forward(x: Tensor): Tensor[] {
    return this.module.forward(x);
  }
}

/**
 * Shuffle-BN, step 1 (MoCo §3.3): distributed, the global batch is permuted (rank 0's permutation,
 * broadcast) and each process gets its share, so a key's BN statistics come from other images
 * than its query's. In one process it is the identity (BN is invariant to a permutation within
 * the batch). Returns this process's shuffled rows and the permutation that undoes it.
 */
export function batchShuffle(x: Tensor): { x: Tensor; idxUnshuffle: Tensor | null } {
  const world = torch.distributed.getWorldSize();
  if (world <= 1) return { x, idxUnshuffle: null };
  return torch.tidy(() => {
    const all = torch.cat(torch.distributed.allGather(x.contiguous()), 0);
    const total = all.shape[0];
    const idxShuffle = torch.distributed.getRank() === 0 ? torch.randperm(total) : torch.zeros([total], { dtype: 'int64' });
    torch.distributed.broadcast(idxShuffle, 0);
    const mine = idxShuffle.view([world, -1]).select(0, torch.distributed.getRank()).to({ device: x.device });
    return { x: all.indexSelect(0, mine), idxUnshuffle: idxShuffle.argsort() };
  });
}

/** Shuffle-BN, step 2: puts rows computed on shuffled inputs back in this process's original order. */
export function batchUnshuffle(x: Tensor, idxUnshuffle: Tensor | null): Tensor {
  if (idxUnshuffle === null) return x;
  const world = torch.distributed.getWorldSize();
  return torch.tidy(() => {
    const all = torch.cat(torch.distributed.allGather(x.contiguous()), 0);
    const mine = idxUnshuffle.view([world, -1]).select(0, torch.distributed.getRank()).to({ device: x.device });
    return all.indexSelect(0, mine);
  });
}

/** A queue `(D, K)` of L2-normalised random columns, as MoCo starts with. */
export function randomQueue(featDim: number, queueLen: number): Tensor {
  return torch.noGrad(() => torch.tidy(() => F.normalize(torch.randn([featDim, queueLen]), { dim: 0 })));
}

/**
 * Writes every process's `keys (N, D)` into the ring buffer `queue (D, K)` at `ptr (1)` (wrapping
 * around the end) and advances `ptr` by the global batch size, modulo K.
 */
export function enqueue(queue: Tensor, ptr: Tensor, keys: Tensor): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      const all = torch.distributed.getWorldSize() > 1 ? torch.cat(torch.distributed.allGather(keys.contiguous()), 0) : keys;
      const b = all.shape[0];
      const k = queue.shape[1];
      if (b > k) throw new RangeError(`enqueue: ${b} keys do not fit a queue of ${k}`);
      const p = ptr.item();
      const cols = torch.arange(p, p + b, 1, { dtype: 'int64', device: queue.device }).remainder(k);
      queue.indexPut_([':', cols], all.t().to({ dtype: queue.dtype }));
      ptr.fill_((p + b) % k);
    }),
  );
}

/** Builds a head and checks it is a ContrastiveHead (the heads these algorithms call with (pos, neg)). */
export function buildContrastiveHead(cfg: unknown, path: string, algorithm: string): ContrastiveHead {
  const head = HEADS.build(cfg, path);
  if (!(head instanceof ContrastiveHead))
    throw new ConfigError(`${path}.type`, `${algorithm} needs a ContrastiveHead, got '${(cfg as TypedConfig).type}'`);
  return head;
}

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
    this.head = this.registerModule('head', buildContrastiveHead(opts.head, `${path}.head`, 'MoCo'));
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
