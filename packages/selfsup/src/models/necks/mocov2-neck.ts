/**
 * MMSelfSup's `MoCoV2Neck`: the MLP head of MoCo v2 (Chen et al. 2020, "Improved Baselines with
 * Momentum Contrastive Learning", arXiv:2003.04297), fc-ReLU-fc with biases and no norm. Keys
 * `mlp.0.*`, `mlp.2.*` (the ReLU is `mlp.1`), as MMSelfSup's `nn.Sequential`.
 *
 * Input: `[(N, C, H, W)]` (average-pooled when `withAvgPool`) or `[(N, C)]`; output `[(N, out)]`.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { bool, posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';
import { neckInput } from './nonlinear-neck.js';

/** `MoCoV2Neck` options (everything but `type`). */
export const mocoV2NeckSchema = z.strictObject({
  inChannels: posInt(),
  hidChannels: posInt(),
  outChannels: posInt(),
  /** Global average pooling of a `(N, C, H, W)` input. Default true. */
  withAvgPool: bool().optional(),
});

export type MoCoV2NeckOptions = z.input<typeof mocoV2NeckSchema>;

export class MoCoV2Neck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly withAvgPool: boolean;
  readonly mlp: nn.Sequential;

  constructor(readonly opts: MoCoV2NeckOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? true;
    this.mlp = this.registerModule(
      'mlp',
      new nn.Sequential(
        new nn.Linear(opts.inChannels, opts.hidChannels),
        new nn.ReLU(),
        new nn.Linear(opts.hidChannels, opts.outChannels),
      ),
    );
  }

  /** `[(N, C, H, W)]` → `[(N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`MoCoV2Neck: expected one backbone output, got ${x.length}`);
    return tidy(() => [this.mlp.forward(neckInput(x[0], { withAvgPool: this.withAvgPool, vitBackbone: false }, 'MoCoV2Neck'))]);
  }
}

/** `MoCoV2Neck` in NECKS. */
export const mocoV2NeckPart = definePart({
  registry: NECKS,
  name: 'MoCoV2Neck',
  schema: mocoV2NeckSchema,
  description: 'avg-pool → fc-ReLU-fc projector (MoCo v2)',
  build: (o) => new MoCoV2Neck(o),
});
