/**
 * MMSelfSup 1.x's `ClsHead`, the classifier of the pretext-task and clustering algorithms:
 * RotationPred's 4-way rotation classifier (Gidaris et al. 2018, "Unsupervised Representation
 * Learning by Predicting Image Rotations", arXiv:1803.07728), RelativeLoc's 8-way position
 * classifier (Doersch et al. 2015, "Unsupervised Visual Representation Learning by Context
 * Prediction", arXiv:1505.05192) and DeepCluster's pseudo-label classifier (Caron et al. 2018,
 * arXiv:1807.05520, re-initialised after every clustering: `initWeights`).
 * One fc layer (`fc_cls.weight`, `fc_cls.bias`, MMSelfSup's keys) on a `(N, C, H, W)` map
 * (average-pooled when `withAvgPool`) or `(N, C)` features, then a loss (default mmcls's
 * CrossEntropyLoss) against `(N)` int64 labels.
 */
import { F, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, posNum, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES } from '../registries.js';

/** `ClsHead` options (everything but `type`). */
export const clsHeadSchema = z.strictObject({
  /** Global average pooling of a `(N, C, H, W)` input (RotationPred: true). Default false. */
  withAvgPool: bool().optional(),
  /** Input features C. Default 2048. */
  inChannels: posInt().optional(),
  /** Classes K. Default 1000. */
  numClasses: posInt().optional(),
  /** The loss of `(N, K)` logits against `(N)` labels. Default `{ type: 'CrossEntropyLoss' }`. */
  loss: typed<LossConfig>().optional(),
  /**
   * MMSelfSup's `init_cfg` for the fc layer: weight ~ N(0, std²), bias 0. Default std 0.01
   * (RelativeLoc's recipe sets 0.005).
   */
  initCfg: z.strictObject({ type: z.literal('Normal'), layer: z.literal('Linear').optional(), std: posNum() }).optional(),
});

export type ClsHeadOptions = z.input<typeof clsHeadSchema>;

/** A loss of logits `(N, K)` against labels `(N)`, with optional per-class weights `(K)`. */
export type ClassificationLoss = nn.Module<[Tensor, Tensor, Tensor?, boolean?], Tensor>;

/** fc classifier + loss: backbone/neck outputs `[(N, C, H, W) | (N, C)]` and labels `(N)` → 0-d loss. */
export class ClsHead extends nn.Module<[Tensor[], Tensor], Tensor> {
  readonly withAvgPool: boolean;
  readonly inChannels: number;
  readonly numClasses: number;
  readonly fc_cls: nn.Linear;
  readonly loss: ClassificationLoss;
  private readonly initStd: number;

  constructor(opts: ClsHeadOptions = {}, path = 'head') {
    super();
    this.withAvgPool = opts.withAvgPool ?? false;
    this.inChannels = opts.inChannels ?? 2048;
    this.numClasses = opts.numClasses ?? 1000;
    this.fc_cls = this.registerModule('fc_cls', new nn.Linear(this.inChannels, this.numClasses));
    this.initStd = opts.initCfg?.std ?? 0.01;
    this.initWeights();
    this.loss = this.registerModule('loss', LOSSES.build(opts.loss ?? { type: 'CrossEntropyLoss' }, `${path}.loss`));
  }

  /** MMSelfSup's `init_weights`: weight ~ N(0, std²), bias 0 (also DeepCluster's re-initialisation). */
  initWeights(): void {
    nn.init.normal_(this.fc_cls.weight, 0, this.initStd);
    noGrad(() => this.fc_cls.bias?.zero_());
  }

  /** `[(N, C, H, W)]` (pooled when `withAvgPool`) or `[(N, C)]` → `[(N, K)]` class scores. */
  logits(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`ClsHead: expected one input feature, got ${x.length}`);
    return tidy(() => {
      let h = x[0];
      if (this.withAvgPool) {
        if (h.dim() !== 4) throw new RangeError(`ClsHead: withAvgPool expects a (N, C, H, W) map, got [${h.shape}]`);
        h = F.adaptiveAvgPool2d(h, 1);
      }
      h = h.flatten(1);
      if (h.shape[1] !== this.inChannels)
        throw new RangeError(`ClsHead: expected ${this.inChannels} input features (inChannels), got ${h.shape[1]}`);
      return [this.fc_cls.forward(h)];
    });
  }

  /**
   * The loss of the class scores against `labels (N)`, class-weighted with `classWeight (K)`:
   * mmcls's batch mean (ODC), or with `weightedMean` PyTorch's Σ w·CE / Σ w (DeepCluster).
   */
  forward(x: Tensor[], labels: Tensor, classWeight?: Tensor, weightedMean?: boolean): Tensor {
    return tidy(() => this.loss.forward(this.logits(x)[0], labels, classWeight, weightedMean));
  }

  override extraRepr(): string {
    return `withAvgPool=${this.withAvgPool}, inChannels=${this.inChannels}, numClasses=${this.numClasses}`;
  }
}

/** `ClsHead` in HEADS; its loss is built from LOSSES. */
export const clsHeadPart = definePart({
  registry: HEADS,
  name: 'ClsHead',
  schema: clsHeadSchema,
  description: 'fc classifier + cross entropy (RotationPred 4-way, RelativeLoc 8-way, DeepCluster pseudo-labels)',
  build: (o, path) => new ClsHead(o, path),
});
