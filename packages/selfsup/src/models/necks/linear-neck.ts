/**
 * MMSelfSup's `LinearNeck`: one fully connected layer, the projector of MoCo v1 (He et al. 2020,
 * arXiv:1911.05722) and NPID (Wu et al. 2018), and MaskFeat's per-token predictor (Wei et al. 2022, on
 * `(N·T, C)` tokens). State-dict keys `fc.weight`, `fc.bias`.
 *
 * Input: `[(N, C, H, W)]` (average-pooled when `withAvgPool`) or `[(N, C)]`; output `[(N, out)]`.
 */
import { nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { bool, num, posInt, posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';
import { neckInput } from './nonlinear-neck.js';

/** `LinearNeck` options (everything but `type`). */
export const linearNeckSchema = z.strictObject({
  inChannels: posInt(),
  outChannels: posInt(),
  /** Global average pooling of a `(N, C, H, W)` input. Default true. */
  withAvgPool: bool().optional(),
  /**
   * MMSelfSup's `init_cfg` for the fc layer (MaskFeat's `{ type: 'TruncNormal', layer: 'Linear', std: 0.02, bias: 0 }`):
   * weight from N(0, std²) (TruncNormal: cut at ±2, as mmengine), bias `bias` (default 0). Default:
   * PyTorch's Linear initialisation.
   */
  initCfg: z
    .strictObject({
      type: z.enum(['TruncNormal', 'Normal']),
      layer: z.literal('Linear').optional(),
      std: posNum(),
      bias: num().optional(),
    })
    .optional(),
});

export type LinearNeckOptions = z.input<typeof linearNeckSchema>;

export class LinearNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly withAvgPool: boolean;
  readonly fc: nn.Linear;

  constructor(readonly opts: LinearNeckOptions) {
    super();
    this.withAvgPool = opts.withAvgPool ?? true;
    this.fc = this.registerModule('fc', new nn.Linear(opts.inChannels, opts.outChannels));
    const ini = opts.initCfg;
    if (ini) {
      if (ini.type === 'TruncNormal') nn.init.truncNormal_(this.fc.weight, { std: ini.std });
      else nn.init.normal_(this.fc.weight, 0, ini.std);
      noGrad(() => this.fc.bias?.fill_(ini.bias ?? 0));
    }
  }

  /** `[(N, C, H, W)]` → `[(N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`LinearNeck: expected one backbone output, got ${x.length}`);
    return tidy(() => [this.fc.forward(neckInput(x[0], { withAvgPool: this.withAvgPool, vitBackbone: false }, 'LinearNeck'))]);
  }
}

/** `LinearNeck` in NECKS. */
export const linearNeckPart = definePart({
  registry: NECKS,
  name: 'LinearNeck',
  schema: linearNeckSchema,
  description: 'avg-pool → fc projector (MoCo v1, NPID)',
  build: (o) => new LinearNeck(o),
});
