/**
 * MMSelfSup's `LatentPredictHead` (BYOL, Grill et al. 2020, arXiv:2006.07733; SimSiam, Chen & He
 * 2021, arXiv:2011.10566): a predictor (any neck, normally a NonLinearNeck) maps the online
 * projection `(N, C)` to a prediction of the target projection `(N, C)`, which is detached
 * (stop-gradient), and a loss (default `CosineSimilarityLoss`) compares them.
 *
 * Keys: `predictor.*` (the neck's own, `predictor.fc0.weight`, …); the loss has none.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { typed, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { HEADS, LOSSES, buildFeatureNeck, type FeatureNeck } from '../registries.js';
import type { LossConfig, NeckConfig } from '../../part-configs.js';

/** A loss of a prediction against a target, both `(N, C)`, returning a 0-d tensor. */
export type PairLoss = nn.Module<[Tensor, Tensor], Tensor>;

/** `LatentPredictHead` options (everything but `type`). */
export const latentPredictHeadSchema = z.strictObject({
  /** The predictor, a neck config (`{ type: 'NonLinearNeck', inChannels: 256, hidChannels: 4096, outChannels: 256, … }`). */
  predictor: typed<NeckConfig>(),
  /** The loss config. Default `{ type: 'CosineSimilarityLoss' }`. */
  loss: typed<LossConfig>().optional(),
});

export type LatentPredictHeadOptions = z.input<typeof latentPredictHeadSchema>;

/** Predictor + loss against a stop-gradient target (BYOL, SimSiam): `(N, C)`, `(N, C)` → 0-d loss. */
export class LatentPredictHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly predictor: FeatureNeck;
  readonly loss: PairLoss;

  constructor(opts: LatentPredictHeadOptions, path = 'head') {
    super();
    this.predictor = this.registerModule('predictor', buildFeatureNeck(opts.predictor, `${path}.predictor`));
    this.loss = this.registerModule('loss', LOSSES.build(opts.loss ?? { type: 'CosineSimilarityLoss' }, `${path}.loss`));
  }

  /** Online projection `input (N, C)` and target projection `target (N, C)` → the 0-d loss. */
  forward(input: Tensor, target: Tensor): Tensor {
    return tidy(() => {
      const [pred] = this.predictor.forward([input]);
      return this.loss.forward(pred, target.detach());
    });
  }
}

/** `LatentPredictHead` in HEADS; its predictor is built from NECKS, its loss from LOSSES. */
export const latentPredictHeadPart = definePart({
  registry: HEADS,
  name: 'LatentPredictHead',
  schema: latentPredictHeadSchema,
  description: 'predictor neck on the online projection, loss against the detached target (BYOL, SimSiam)',
  build: (o, path) => new LatentPredictHead(o, path),
});
