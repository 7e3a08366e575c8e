/**
 * MMSelfSup's `SwAVNeck` (Caron et al. 2020, arXiv:2006.09882): the projection of every crop's
 * pooled features, `fc-bn-relu-fc` then L2 normalisation. It takes one backbone output per
 * resolution group of crops (the backbone runs once per group), pools and concatenates them in
 * order, and returns `[(Σ crops · N, outChannels)]`.
 *
 * `hidChannels: 0` makes the projection one `fc`; `outChannels: 0` drops it (pooled features,
 * normalised). Keys: `projection_neck.0.*` (fc), `projection_neck.1.*` (bn), `projection_neck.3.*`
 * (fc), or `projection_neck.*` for the single fc. (MMSelfSup's checkpoints also hold the BN a
 * second time as `bn.*`; those duplicate keys are not kept here, load such files non-strictly.)
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { bool, nonNegInt, posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';
import { buildNorm1d, norm1dSchema } from './norm.js';
import { neckInput } from './nonlinear-neck.js';

/** `SwAVNeck` options (everything but `type`). */
export const swavNeckSchema = z.strictObject({
  inChannels: posInt(),
  /** Hidden size; 0 for a single linear projection. */
  hidChannels: nonNegInt(),
  /** Output size; 0 for no projection. */
  outChannels: nonNegInt(),
  /** Average-pool `(N, C, H, W)` inputs. Default true. */
  withAvgPool: bool().optional(),
  /** L2-normalise the output. Default true. */
  withL2norm: bool().optional(),
  /** Default `{ type: 'SyncBN' }`. */
  normCfg: norm1dSchema().optional(),
});

export type SwAVNeckOptions = z.input<typeof swavNeckSchema>;

/** SwAV projection (Caron et al. 2020): one backbone output per crop group → `[(Σ crops · N, outChannels)]`, unit rows. */
export class SwAVNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly withAvgPool: boolean;
  readonly withL2norm: boolean;
  /** The projection, or null with `outChannels: 0`. */
  readonly projectionNeck: nn.Sequential | nn.Linear | null;

  constructor(readonly opts: SwAVNeckOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? true;
    this.withL2norm = opts.withL2norm ?? true;
    let proj: nn.Sequential | nn.Linear | null = null;
    if (opts.outChannels > 0 && opts.hidChannels === 0) proj = new nn.Linear(opts.inChannels, opts.outChannels);
    else if (opts.outChannels > 0)
      proj = new nn.Sequential(
        new nn.Linear(opts.inChannels, opts.hidChannels),
        buildNorm1d(opts.normCfg ?? { type: 'SyncBN' }, opts.hidChannels),
        new nn.ReLU(true),
        new nn.Linear(opts.hidChannels, opts.outChannels),
      );
    this.projectionNeck = this.registerModule('projection_neck', proj);
  }

  /** One backbone output per resolution group (`[(n_g·N, C, h_g, w_g)]`) → `[(Σ n_g·N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length === 0) throw new RangeError('SwAVNeck: expected at least one backbone output');
    return tidy(() => {
      const pooled = x.map((t) => neckInput(t, { withAvgPool: this.withAvgPool, vitBackbone: t.dim() === 3 }, 'SwAVNeck'));
      let h = pooled.length === 1 ? pooled[0] : torch.cat(pooled);
      if (this.projectionNeck) h = this.projectionNeck.forward(h);
      if (this.withL2norm) h = F.normalize(h, { dim: 1 });
      return [h];
    });
  }

  override extraRepr(): string {
    return `withAvgPool=${this.withAvgPool}, withL2norm=${this.withL2norm}`;
  }
}

/** `SwAVNeck` in NECKS. */
export const swavNeckPart = definePart({
  registry: NECKS,
  name: 'SwAVNeck',
  schema: swavNeckSchema,
  description: 'SwAV projection fc-bn-relu-fc + L2 norm over every crop group',
  build: (o) => new SwAVNeck(o),
});
