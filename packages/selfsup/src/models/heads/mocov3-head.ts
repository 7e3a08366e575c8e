/**
 * MMSelfSup's `MoCoV3Head` (Chen et al. 2021, "An Empirical Study of Training Self-Supervised
 * Vision Transformers", arXiv:2104.02057): a predictor MLP on the base encoder's projection, then
 * InfoNCE against the momentum encoder's projections of the other view, every process's keys
 * being negatives (labels offset by rank), scaled by `lossWeight` (the paper's 2τ).
 *
 * `forward(baseOut (N, D), momentumOut (N, D))` → the scalar loss. The predictor's keys are
 * `predictor.*` (a neck, normally a NonLinearNeck).
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { posNum, typed, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { infoNceLoss } from '../losses/info-nce.js';
import { HEADS, buildFeatureNeck, type FeatureNeck } from '../registries.js';
import type { NeckConfig } from '../../part-configs.js';

/** `MoCoV3Head` options (everything but `type`). */
export const mocoV3HeadSchema = z.strictObject({
  /** The predictor, a neck config (`{ type: 'NonLinearNeck', inChannels: 256, hidChannels: 4096, … }`). */
  predictor: typed<NeckConfig>(),
  /** τ. Default 1.0 (MMSelfSup's; its ResNet configs keep 1.0, ViT configs use 0.2). */
  temperature: posNum().optional(),
  /** Multiplies the loss. Default 2τ (MoCo v3's scaling; MMSelfSup's configs set loss_weight=2·T). */
  lossWeight: posNum().optional(),
});

export type MoCoV3HeadOptions = z.input<typeof mocoV3HeadSchema>;

export class MoCoV3Head extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly predictor: FeatureNeck;
  readonly temperature: number;
  readonly lossWeight: number;

  constructor(opts: MoCoV3HeadOptions, path = 'head') {
    super();
    this.predictor = this.registerModule('predictor', buildFeatureNeck(opts.predictor, `${path}.predictor`));
    this.temperature = opts.temperature ?? 1.0;
    this.lossWeight = opts.lossWeight ?? 2 * this.temperature;
  }

  /** `baseOut (N, D)` (gets the predictor), `momentumOut (N, D)` (targets, no gradient) → the loss. */
  forward(baseOut: Tensor, momentumOut: Tensor): Tensor {
    return tidy(() => {
      const [pred] = this.predictor.forward([baseOut]);
      return infoNceLoss(pred, momentumOut.detach(), { temperature: this.temperature, gather: true }).mul(this.lossWeight);
    });
  }

  override extraRepr(): string {
    return `temperature=${this.temperature}, lossWeight=${this.lossWeight}`;
  }
}

/** `MoCoV3Head` in HEADS; its predictor is built from NECKS. */
export const mocoV3HeadPart = definePart({
  registry: HEADS,
  name: 'MoCoV3Head',
  schema: mocoV3HeadSchema,
  description: 'MoCo v3: predictor + InfoNCE against gathered momentum keys, ×2T',
  build: (o, path) => new MoCoV3Head(o, path),
});
