/**
 * MMSelfSup's `ClsHead`: one fully connected layer over pooled features and the cross-entropy with
 * (pseudo-)labels, DeepCluster's classifier (Caron et al. 2018, arXiv:1807.05520, §3.2: "a
 * classifier on top of the convnet", re-initialised after every clustering since the cluster
 * indices are arbitrary). Input `[(N, C, H, W)]` (pooled when `withAvgPool`, then flattened) or
 * `[(N, C)]`; state-dict keys `fc_cls.weight`, `fc_cls.bias`; weights N(0, 0.01²), bias 0
 * (MMSelfSup's `init_cfg`).
 *
 * With class weights w the loss is PyTorch's weighted mean Σᵢ w_{yᵢ}·CEᵢ / Σᵢ w_{yᵢ}
 * (`nn.CrossEntropyLoss(weight=w)`, as MMSelfSup 0.x's re-weighting), so uniform weights give the
 * plain mean and only the relative weights matter.
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import { bool, posInt, posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { HEADS } from '../registries.js';

/** `ClsHead` options (everything but `type`). */
export const clsHeadSchema = z.strictObject({
  /** Global average pooling of a `(N, C, H, W)` input. Default false (DeepCluster's neck pools). */
  withAvgPool: bool().optional(),
  /** Feature width. Default 2048. */
  inChannels: posInt().optional(),
  /** Classes (clusters). Default 1000. */
  numClasses: posInt().optional(),
  /** Std of the weights' normal initialisation. Default 0.01. */
  initStd: posNum().optional(),
});
export type ClsHeadOptions = z.input<typeof clsHeadSchema>;

export class ClsHead extends nn.Module<[Tensor[], Tensor, Tensor?], Tensor> {
  readonly withAvgPool: boolean;
  readonly inChannels: number;
  readonly numClasses: number;
  readonly initStd: number;
  readonly fc_cls: nn.Linear;

  constructor(opts: ClsHeadOptions = {}) {
    super();
    this.withAvgPool = opts.withAvgPool ?? false;
    this.inChannels = opts.inChannels ?? 2048;
    this.numClasses = opts.numClasses ?? 1000;
    this.initStd = opts.initStd ?? 0.01;
    this.fc_cls = this.registerModule('fc_cls', new nn.Linear(this.inChannels, this.numClasses));
    this.initWeights();
  }

  /** MMSelfSup's `init_weights`: weight ~ N(0, initStd²), bias 0 (also DeepCluster's re-initialisation). */
  initWeights(): void {
    nn.init.normal_(this.fc_cls.weight, 0, this.initStd);
    if (this.fc_cls.bias) nn.init.zeros_(this.fc_cls.bias);
  }

  /** `[(N, C, …)]` → `(N, numClasses)` class scores. */
  logits(x: Tensor[]): Tensor {
    if (x.length !== 1) throw new RangeError(`ClsHead: expected one feature tensor, got ${x.length}`);
    return torch.tidy(() => {
      let f = x[0];
      if (this.withAvgPool) {
        if (f.dim() !== 4) throw new RangeError(`ClsHead: withAvgPool needs a (N, C, H, W) map, got shape [${f.shape}]`);
        f = F.adaptiveAvgPool2d(f, [1, 1]);
      }
      f = f.flatten(1);
      if (f.shape[1] !== this.inChannels)
        throw new RangeError(`ClsHead: features of width ${f.shape[1]} for inChannels ${this.inChannels}`);
      return this.fc_cls.forward(f);
    });
  }

  /** Scores of `x` against `labels (N)` int64: the (class-weighted) mean cross-entropy. */
  forward(x: Tensor[], labels: Tensor, classWeight?: Tensor): Tensor {
    return torch.tidy(() => {
      const scores = this.logits(x);
      if (labels.dim() !== 1 || labels.shape[0] !== scores.shape[0])
        throw new RangeError(`ClsHead: labels of shape [${labels.shape}] for ${scores.shape[0]} samples`);
      return F.crossEntropy(scores, labels, { weight: classWeight?.to({ dtype: scores.dtype }) ?? null });
    });
  }

  override extraRepr(): string {
    return `in_channels=${this.inChannels}, num_classes=${this.numClasses}, with_avg_pool=${this.withAvgPool}`;
  }
}

/** `ClsHead` in HEADS. */
export const clsHeadPart = definePart({
  registry: HEADS,
  name: 'ClsHead',
  schema: clsHeadSchema,
  description: 'one fc layer + cross-entropy with (pseudo-)labels (DeepCluster)',
  build: (o) => new ClsHead(o),
});
