/**
 * MMSelfSup's `ODCNeck`, the projector of ODC (Zhan et al. 2020, arXiv:2006.10645):
 * avg-pool → fc0 → BN (no affine, momentum 0.001) → ReLU → dropout(0.5) → fc1 → ReLU.
 *
 * Input `[(N, C, H, W)]` (or `[(N, C)]` without pooling); output `[(N, out)]`. State-dict keys
 * `fc0.*`, `bn0.running_mean/running_var/num_batches_tracked`, `fc1.*`.
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, z } from '../../core/schema.js';
import { NECKS } from '../registries.js';
import { neckInput } from './nonlinear-neck.js';
import { norm1dSchema } from './norm.js';

/** `ODCNeck` options (everything but `type`). */
export const odcNeckSchema = z.strictObject({
  inChannels: posInt(),
  hidChannels: posInt(),
  outChannels: posInt(),
  /** Global average pooling of a `(N, C, H, W)` input. Default true. */
  withAvgPool: bool().optional(),
  /** Default SyncBN (BN1d in one process). */
  normCfg: norm1dSchema().optional(),
});
export type ODCNeckOptions = z.input<typeof odcNeckSchema>;

export class ODCNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly withAvgPool: boolean;
  readonly fc0: nn.Linear;
  readonly bn0: nn.BatchNorm1d | nn.SyncBatchNorm;
  readonly fc1: nn.Linear;
  readonly dropout: nn.Dropout;

  constructor(readonly opts: ODCNeckOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? true;
    this.fc0 = this.registerModule('fc0', new nn.Linear(opts.inChannels, opts.hidChannels));
    // MMSelfSup's ODCNeck: a slow (0.001) running average and no affine.
    const bn = { affine: false, momentum: 0.001 };
    this.bn0 = this.registerModule(
      'bn0',
      (opts.normCfg?.type ?? 'SyncBN') === 'SyncBN'
        ? new nn.SyncBatchNorm(opts.hidChannels, bn)
        : new nn.BatchNorm1d(opts.hidChannels, bn),
    );
    this.fc1 = this.registerModule('fc1', new nn.Linear(opts.hidChannels, opts.outChannels));
    this.dropout = this.registerModule('dropout', new nn.Dropout(0.5));
  }

  /** `[(N, C, H, W)]` → `[(N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`ODCNeck: expected one backbone output, got ${x.length}`);
    return tidy(() => {
      const h = neckInput(x[0], { withAvgPool: this.withAvgPool, vitBackbone: false }, 'ODCNeck');
      const y = this.dropout.forward(F.relu(this.bn0.forward(this.fc0.forward(h))));
      return [F.relu(this.fc1.forward(y))];
    });
  }
}

export const odcNeckPart = definePart({
  registry: NECKS,
  name: 'ODCNeck',
  schema: odcNeckSchema,
  description: 'ODC: avg-pool → fc-BN(no affine)-ReLU-dropout-fc-ReLU',
  build: (o) => new ODCNeck(o),
});
