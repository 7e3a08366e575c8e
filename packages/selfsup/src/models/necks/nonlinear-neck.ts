/**
 * MMSelfSup's `NonLinearNeck`: the MLP projector (and predictor) of SimCLR (Chen et al. 2020),
 * BYOL (Grill et al. 2020), SimSiam (Chen & He 2021), Barlow Twins (Zbontar et al. 2021) and
 * MoCo v3 (Chen et al. 2021): `fc-bn-[relu-fc-bn]`, the bracket repeated `numLayers − 1` times,
 * the last fc/bn with their own bias/BN switches. State-dict keys are MMSelfSup's
 * (`fc0.weight`, `bn0.running_mean`, `fc1.weight`, …), so its checkpoints load directly.
 *
 * Input: the backbone's outputs as a one-element list — a CNN map `(N, C, H, W)` (average-pooled
 * when `withAvgPool`), or with `vitBackbone` a ViT's class token `(N, C)` or token sequence
 * `(N, 1+L, C)` (its class token, position 0, is used). Output: `[(N, outChannels)]`.
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { bool, posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';
import { buildNorm1d, norm1dSchema } from './norm.js';

/** `NonLinearNeck` options (everything but `type`). */
export const nonLinearNeckSchema = z.strictObject({
  inChannels: posInt(),
  hidChannels: posInt(),
  outChannels: posInt(),
  /** Number of fc layers (≥ 1); with 1 the neck is `fc0-bn0` into `hidChannels`. Default 2. */
  numLayers: posInt().optional(),
  /** Bias in every fc but the last. Default false. */
  withBias: bool().optional(),
  /** A BN after the last fc. Default true. */
  withLastBn: bool().optional(),
  /** Learnable γ/β in the last BN (SimSiam sets false). Default true. */
  withLastBnAffine: bool().optional(),
  /** Bias in the last fc. Default false. */
  withLastBias: bool().optional(),
  /** Global average pooling of a `(N, C, H, W)` input. Default true. */
  withAvgPool: bool().optional(),
  /** The input comes from a ViT: use its class token. Default false. */
  vitBackbone: bool().optional(),
  /** Default `{ type: 'SyncBN' }` (MMSelfSup's; plain BN in a single process). */
  normCfg: norm1dSchema().optional(),
});

export type NonLinearNeckOptions = z.input<typeof nonLinearNeckSchema>;

/**
 * Reduces a backbone output to `(N, C)`: the ViT class token, or the average-pooled CNN map; a
 * 2-D input is already a feature vector.
 */
export function neckInput(x: Tensor, o: { withAvgPool: boolean; vitBackbone: boolean }, who: string): Tensor {
  return tidy(() => {
    let h = x;
    if (o.vitBackbone) {
      if (h.dim() === 3) h = h.select(1, 0);
      else if (h.dim() !== 2)
        throw new RangeError(`${who}: vitBackbone expects a class token (N, C) or tokens (N, 1+L, C), got ${h.dim()}-D`);
    } else if (h.dim() === 3) {
      throw new RangeError(`${who}: got a 3-D input (N, L, C); set vitBackbone: true for a ViT`);
    }
    if (h.dim() === 4 && o.withAvgPool) h = F.adaptiveAvgPool2d(h, 1);
    return h.flatten(1);
  });
}

export class NonLinearNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly numLayers: number;
  readonly withAvgPool: boolean;
  readonly vitBackbone: boolean;
  /** `fc0 … fc{numLayers−1}`. */
  readonly fcs: nn.Linear[] = [];
  /** `bn0 … bn{numLayers−1}`; the last is null without `withLastBn`. */
  readonly bns: (nn.BatchNorm1d | nn.SyncBatchNorm | null)[] = [];

  constructor(readonly opts: NonLinearNeckOptions) {
    super();
    const { inChannels, hidChannels, outChannels } = opts;
    this.numLayers = opts.numLayers ?? 2;
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1)
      throw new RangeError(`NonLinearNeck: numLayers must be a positive integer, got ${this.numLayers}`);
    this.withAvgPool = opts.withAvgPool ?? true;
    this.vitBackbone = opts.vitBackbone ?? false;
    const norm = opts.normCfg ?? { type: 'SyncBN' };
    const withBias = opts.withBias ?? false;
    this.fcs.push(this.registerModule('fc0', new nn.Linear(inChannels, hidChannels, { bias: withBias })));
    this.bns.push(this.registerModule('bn0', buildNorm1d(norm, hidChannels)));
    for (let i = 1; i < this.numLayers; i++) {
      const last = i === this.numLayers - 1;
      const out = last ? outChannels : hidChannels;
      const bias = last ? (opts.withLastBias ?? false) : withBias;
      this.fcs.push(this.registerModule(`fc${i}`, new nn.Linear(hidChannels, out, { bias })));
      const withBn = !last || (opts.withLastBn ?? true);
      const affine = last ? (opts.withLastBnAffine ?? true) : true;
      this.bns.push(withBn ? this.registerModule(`bn${i}`, buildNorm1d(norm, out, affine)) : null);
    }
  }

  /** `[(N, C, H, W)]` (or a ViT output, see the class doc) → `[(N, outChannels)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`NonLinearNeck: expected one backbone output, got ${x.length}`);
    return tidy(() => {
      let h = neckInput(x[0], { withAvgPool: this.withAvgPool, vitBackbone: this.vitBackbone }, 'NonLinearNeck');
      for (let i = 0; i < this.numLayers; i++) {
        if (i > 0) h = F.relu(h);
        h = this.fcs[i].forward(h);
        const bn = this.bns[i];
        if (bn) h = bn.forward(h);
      }
      return [h];
    });
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}, withAvgPool=${this.withAvgPool}, vitBackbone=${this.vitBackbone}`;
  }
}

/** `NonLinearNeck` in NECKS. */
export const nonLinearNeckPart = definePart({
  registry: NECKS,
  name: 'NonLinearNeck',
  schema: nonLinearNeckSchema,
  description: 'MLP projector fc-bn-[relu-fc-bn]×(numLayers−1) (SimCLR, BYOL, SimSiam, MoCo v3)',
  build: (o) => new NonLinearNeck(o),
});
