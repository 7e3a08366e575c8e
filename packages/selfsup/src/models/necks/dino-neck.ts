/**
 * MMSelfSup's `DINONeck`, the projection head of DINO (Caron et al. 2021, "Emerging Properties in
 * Self-Supervised Vision Transformers", arXiv:2104.14294): a 3-layer MLP with GELU
 * (`in → hidden → hidden → bottleneck`), L2 normalisation, then a bias-free weight-normalised
 * linear layer to K = 65 536 outputs whose norm `weight_g` is fixed at 1 (DINO's
 * `norm_last_layer`). Keys: `mlp.0.*`, `mlp.2.*`, `mlp.4.*`, `last_layer.weight_g`,
 * `last_layer.weight_v` (as PyTorch's `weight_norm`).
 *
 * Input: one backbone output — a ViT class token `(N, C)` or tokens `(N, 1+L, C)` (token 0), or a
 * CNN map `(N, C, H, W)` (average-pooled). Output `[(N, K)]`.
 */
import * as torch from '@selfsup/torch';
import { F, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { bool, posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';
import { neckInput } from './nonlinear-neck.js';

/**
 * A bias-free linear layer with weight normalisation (Salimans & Kingma 2016, arXiv:1602.07868):
 * W = g · V / ‖V‖ with one norm per output row (PyTorch's `weight_norm(…, dim=0)`): `weight_g`
 * `(out, 1)`, `weight_v` `(out, in)`. `(*, in)` → `(*, out)`.
 */
export class WeightNormLinear extends nn.Module {
  readonly weightG: Tensor;
  readonly weightV: Tensor;

  /** `fixedNorm`: g is set to 1 and not trained (DINO's `norm_last_layer`). */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { fixedNorm?: boolean } = {},
  ) {
    super();
    // PyTorch's Linear initialisation for V, as `weight_norm` applied to an `nn.Linear`.
    const init = new nn.Linear(inFeatures, outFeatures, { bias: false });
    const v = tidy(() => init.weight.detach().clone());
    init.dispose();
    const fixed = opts.fixedNorm ?? true;
    const g = tidy(() => noGrad(() => (fixed ? torch.ones([outFeatures, 1]) : v.norm(2, 1, { keepdim: true }))));
    this.weightG = this.registerParameter('weight_g', g, !fixed);
    this.weightV = this.registerParameter('weight_v', v);
  }

  /** The effective weight g·V/‖V‖ `(out, in)`. */
  weight(): Tensor {
    return tidy(() => this.weightV.mul(this.weightG.div(this.weightV.norm(2, 1, { keepdim: true }))));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => F.linear(x, this.weight()));
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=False, weight_norm`;
  }
}

/** `DINONeck` options (everything but `type`). */
export const dinoNeckSchema = z.strictObject({
  inChannels: posInt(),
  /** Hidden size of the MLP. Default 2048. */
  hiddenChannels: posInt().optional(),
  /** Output of the MLP, input of the last layer. Default 256. */
  bottleneckChannels: posInt().optional(),
  /** K. Default 65 536. */
  outChannels: posInt().optional(),
  /** Keep the last layer's norm fixed at 1 (DINO's `norm_last_layer`). Default true. */
  normLastLayer: bool().optional(),
});

export type DINONeckOptions = z.input<typeof dinoNeckSchema>;

/** DINO projection head (Caron et al. 2021): one backbone output → `[(N, K)]`. */
export class DINONeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly mlp: nn.Sequential;
  readonly lastLayer: WeightNormLinear;

  constructor(readonly opts: DINONeckOptions) {
    super();
    const hidden = opts.hiddenChannels ?? 2048;
    const bottleneck = opts.bottleneckChannels ?? 256;
    this.mlp = this.registerModule(
      'mlp',
      new nn.Sequential(
        new nn.Linear(opts.inChannels, hidden),
        new nn.GELU(),
        new nn.Linear(hidden, hidden),
        new nn.GELU(),
        new nn.Linear(hidden, bottleneck),
      ),
    );
    this.lastLayer = this.registerModule(
      'last_layer',
      new WeightNormLinear(bottleneck, opts.outChannels ?? 65536, { fixedNorm: opts.normLastLayer ?? true }),
    );
  }

  /** `[backbone output]` → `[(N, K)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`DINONeck: expected one backbone output, got ${x.length}`);
    return tidy(() => {
      const h = neckInput(x[0], { withAvgPool: true, vitBackbone: x[0].dim() === 3 }, 'DINONeck');
      return [this.lastLayer.forward(F.normalize(this.mlp.forward(h), { dim: -1 }))];
    });
  }
}

/** `DINONeck` in NECKS. */
export const dinoNeckPart = definePart({
  registry: NECKS,
  name: 'DINONeck',
  schema: dinoNeckSchema,
  description: 'DINO projection: 3-layer GELU MLP, L2 norm, weight-normalised linear to 65 536',
  build: (o) => new DINONeck(o),
});
