/**
 * MMSelfSup's `RelativeLocNeck`, the pair classifier trunk of RelativeLoc (Doersch et al. 2015,
 * "Unsupervised Visual Representation Learning by Context Prediction", arXiv:1505.05192): the
 * channel-concatenated features of a (neighbour, centre) patch pair `[(N, 2C, H, W)]` are
 * average-pooled (when `withAvgPool`), then fc(2C → out)-BN-ReLU-dropout(0.5) → `[(N, out)]`.
 *
 * Keys `fc.*`, `bn.*` (MMSelfSup's). As MMSelfSup: fc weight ~ N(0, 0.01²) with bias 0, and the BN's
 * running statistics move with momentum 0.003 (its `momentum=0.003`, PyTorch's convention).
 */
import { F, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, z } from '../../core/schema.js';
import { NECKS } from '../registries.js';
import { buildNorm1d, norm1dSchema } from './norm.js';

/** `RelativeLocNeck` options (everything but `type`). */
export const relativeLocNeckSchema = z.strictObject({
  /** Channels C of one patch's features (the fc takes the pair's 2C). */
  inChannels: posInt(),
  outChannels: posInt(),
  /** Global average pooling of a `(N, 2C, H, W)` input. Default true. */
  withAvgPool: bool().optional(),
  /** Default `{ type: 'BN1d' }` (MMSelfSup's). */
  normCfg: norm1dSchema().optional(),
});

export type RelativeLocNeckOptions = z.input<typeof relativeLocNeckSchema>;

/** Running-average factor of the neck's BN (MMSelfSup's `momentum=0.003`). */
const BN_MOMENTUM = 0.003;

export class RelativeLocNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly withAvgPool: boolean;
  readonly inChannels: number;
  readonly fc: nn.Linear;
  readonly bn: nn.BatchNorm1d | nn.SyncBatchNorm;
  readonly dropout: nn.Dropout;

  constructor(readonly opts: RelativeLocNeckOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? true;
    this.inChannels = opts.inChannels;
    this.fc = this.registerModule('fc', new nn.Linear(opts.inChannels * 2, opts.outChannels));
    nn.init.normal_(this.fc.weight, 0, 0.01);
    noGrad(() => this.fc.bias?.zero_());
    this.bn = this.registerModule('bn', buildNorm1d(opts.normCfg ?? { type: 'BN1d' }, opts.outChannels, true, BN_MOMENTUM));
    this.dropout = this.registerModule('dropout', new nn.Dropout(0.5));
  }

  /** `[(N, 2C, H, W)]` (or `[(N, 2C)]`) → `[(N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`RelativeLocNeck: expected one (pair) feature map, got ${x.length}`);
    return tidy(() => {
      let h = x[0];
      if (this.withAvgPool && h.dim() === 4) h = F.adaptiveAvgPool2d(h, 1);
      h = h.flatten(1);
      if (h.shape[1] !== 2 * this.inChannels)
        throw new RangeError(
          `RelativeLocNeck: expected the pair's 2 × inChannels = ${2 * this.inChannels} features, got ${h.shape[1]}`,
        );
      return [this.dropout.forward(F.relu(this.bn.forward(this.fc.forward(h))))];
    });
  }

  override extraRepr(): string {
    return `inChannels=${this.inChannels}, withAvgPool=${this.withAvgPool}`;
  }
}

/** `RelativeLocNeck` in NECKS. */
export const relativeLocNeckPart = definePart({
  registry: NECKS,
  name: 'RelativeLocNeck',
  schema: relativeLocNeckSchema,
  description: 'RelativeLoc: avg-pool → fc(2C)-BN-ReLU-dropout on a (neighbour, centre) pair',
  build: (o) => new RelativeLocNeck(o),
});
