/**
 * MMSelfSup's `LatentPredictHead` (BYOL, Grill et al. 2020, arXiv:2006.07733; SimSiam, Chen & He
 * 2021, arXiv:2011.10566): a predictor (any neck, normally a NonLinearNeck) maps the online
 * projection `(N, C)` to a prediction of the target projection `(N, C)`, which is detached
 * (stop-gradient), and a loss (default `CosineSimilarityLoss`) compares them.
 *
 * Keys: `predictor.*` (the neck's own, `predictor.fc0.weight`, …); the loss has none.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, LOSSES, type TypedConfig } from '../../registry.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import '../losses/cosine-similarity.js';

/** A loss of a prediction against a target, both `(N, C)`, returning a 0-d tensor. */
export type PairLoss = nn.Module<[Tensor, Tensor], Tensor>;

export interface LatentPredictHeadOptions {
  /** The predictor, a neck config (`{ type: 'NonLinearNeck', inChannels: 256, hidChannels: 4096, outChannels: 256, … }`). */
  predictor: TypedConfig;
  /** The loss config. Default `{ type: 'CosineSimilarityLoss' }`. */
  loss?: TypedConfig;
}

/** `LatentPredictHead` options (everything but `type`). */
export const latentPredictHeadSchema = z.strictObject({ predictor: typed(), loss: typed().optional() });

/** Predictor + loss against a stop-gradient target (BYOL, SimSiam): `(N, C)`, `(N, C)` → 0-d loss. */
export class LatentPredictHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly predictor: Neck;
  readonly loss: PairLoss;

  constructor(opts: LatentPredictHeadOptions, path = 'head') {
    super();
    this.predictor = this.registerModule('predictor', buildNeck(opts.predictor, `${path}.predictor`));
    const loss = LOSSES.build(opts.loss ?? { type: 'CosineSimilarityLoss' }, `${path}.loss`);
    this.loss = this.registerModule('loss', loss as unknown as PairLoss);
  }

  /** Online projection `input (N, C)` and target projection `target (N, C)` → the 0-d loss. */
  forward(input: Tensor, target: Tensor): Tensor {
    return tidy(() => {
      const [pred] = this.predictor.forward([input]);
      return this.loss.forward(pred, target.detach());
    });
  }
}

HEADS.register(
  'LatentPredictHead',
  (cfg, path) => new LatentPredictHead(configOptions<LatentPredictHeadOptions>(cfg), path) as unknown as nn.Module,
  {
    schema: latentPredictHeadSchema,
    description: 'predictor neck on the online projection, loss against the detached target (BYOL, SimSiam)',
  },
);
