/**
 * MMSelfSup's `MoCoV2Neck`: the MLP head of MoCo v2 (Chen et al. 2020, "Improved Baselines with
 * Momentum Contrastive Learning", arXiv:2003.04297), fc-ReLU-fc with biases and no norm. Keys
 * `mlp.0.*`, `mlp.2.*` (the ReLU is `mlp.1`), as MMSelfSup's `nn.Sequential`.
 *
 * Input: `[(N, C, H, W)]` (average-pooled when `withAvgPool`) or `[(N, C)]`; output `[(N, out)]`.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { bool, posInt, z } from '../../engine/config/schema.js';
import { configOptions } from '../../registry.js';
import { registerNeck } from './neck.js';
import { neckInput } from './nonlinear-neck.js';

export interface MoCoV2NeckOptions {
  inChannels: number;
  hidChannels: number;
  outChannels: number;
  /** Global average pooling of a `(N, C, H, W)` input. Default true. */
  withAvgPool?: boolean;
}

export const mocoV2NeckSchema = z.strictObject({
  inChannels: posInt(),
  hidChannels: posInt(),
  outChannels: posInt(),
  withAvgPool: bool().optional(),
});

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

registerNeck('MoCoV2Neck', (cfg) => new MoCoV2Neck(configOptions<MoCoV2NeckOptions>(cfg)), {
  schema: mocoV2NeckSchema,
  description: 'avg-pool → fc-ReLU-fc projector (MoCo v2)',
});
