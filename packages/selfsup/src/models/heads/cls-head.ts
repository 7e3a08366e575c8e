/**
 * MMSelfSup's `ClsHead`: one fc layer on the neck's features (ODC's classifier over its K
 * clusters; Zhan et al. 2020, arXiv:2006.10645), trained with mmcls's CrossEntropyLoss whose
 * `class_weight` ODC sets from the cluster sizes: loss = mean_i w[y_i]·CE_i (a plain mean over the
 * batch, not divided by Σ w, as mmcls reduces it).
 *
 * Input `[(N, C)]` (or `[(N, C, H, W)]` with `withAvgPool`); logits `(N, K)`. State-dict keys
 * `fc_cls.weight`, `fc_cls.bias`; initialised N(0, 0.01²), bias 0 (MMSelfSup's init_cfg).
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, z } from '../../core/schema.js';
import { HEADS } from '../registries.js';

/** `ClsHead` options (everything but `type`). */
export const clsHeadSchema = z.strictObject({
  /** Average-pool a `(N, C, H, W)` input first. Default false. */
  withAvgPool: bool().optional(),
  inChannels: posInt(),
  numClasses: posInt(),
  /** MMSelfSup's `loss` (mmcls's CrossEntropyLoss, the only one ClsHead is used with). */
  loss: z.strictObject({ type: z.literal('CrossEntropyLoss') }).optional(),
});
export type ClsHeadOptions = z.input<typeof clsHeadSchema>;

export class ClsHead extends nn.Module<[Tensor[], Tensor, Tensor?], Tensor> {
  readonly withAvgPool: boolean;
  readonly numClasses: number;
  readonly fcCls: nn.Linear;

  constructor(readonly opts: ClsHeadOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? false;
    this.numClasses = opts.numClasses;
    this.fcCls = this.registerModule('fc_cls', new nn.Linear(opts.inChannels, opts.numClasses));
    this.initWeights();
  }

  /** N(0, 0.01²) weights, zero bias (also how DeepCluster/ODC re-initialise the classifier). */
  initWeights(): void {
    nn.init.normal_(this.fcCls.weight, 0, 0.01);
    torch.noGrad(() => this.fcCls.bias?.zero_());
  }

  /** `[(N, C)]` → logits `(N, K)`. */
  logits(x: Tensor[]): Tensor {
    if (x.length !== 1) throw new RangeError(`ClsHead: expected one feature tensor, got ${x.length}`);
    return torch.tidy(() => {
      let h = x[0];
      if (this.withAvgPool) {
        if (h.dim() !== 4) throw new RangeError(`ClsHead: withAvgPool needs (N, C, H, W), got shape [${h.shape}]`);
        h = F.adaptiveAvgPool2d(h, 1);
      }
      h = h.flatten(1);
      if (h.shape[1] !== this.fcCls.inFeatures)
        throw new RangeError(`ClsHead: expected ${this.fcCls.inFeatures} channels, got ${h.shape[1]}`);
      return this.fcCls.forward(h);
    });
  }

  /** Cross-entropy of `x`'s logits against `labels (N)`, each sample weighted by `classWeight[label]` when given. */
  forward(x: Tensor[], labels: Tensor, classWeight?: Tensor): Tensor {
    return torch.tidy(() => {
      const logits = this.logits(x);
      const ce = F.crossEntropy(logits, labels, { reduction: 'none' });
      if (!classWeight) return ce.mean();
      if (classWeight.shape[0] !== this.numClasses)
        throw new RangeError(`ClsHead: classWeight has ${classWeight.shape[0]} entries for ${this.numClasses} classes`);
      return ce.mul(classWeight.to({ dtype: ce.dtype }).indexSelect(0, labels)).mean();
    });
  }
}

export const clsHeadPart = definePart({
  registry: HEADS,
  name: 'ClsHead',
  schema: clsHeadSchema,
  description: 'fc classifier with (class-weighted) cross-entropy (ODC’s cluster classifier)',
  build: (o) => new ClsHead(o),
});
