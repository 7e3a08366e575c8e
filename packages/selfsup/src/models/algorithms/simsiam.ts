/**
 * SimSiam, "Exploring Simple Siamese Representation Learning" (Chen & He 2021, arXiv:2011.10566),
 * as MMSelfSup's `SimSiam`: one encoder (backbone → 3-layer projector neck), a predictor in the
 * head, and a stop-gradient on the other branch instead of a momentum encoder:
 *
 *   L = ½·(D(p₁, sg(z₂)) + D(p₂, sg(z₁))),   D = −mean cos (the head's CosineSimilarityLoss).
 *
 * The predictor's learning rate stays at the base value while the others follow the schedule
 * (`SimSiamHook`, with the predictor's parameter groups flagged `fixLr`). Views `(N, C, H, W)`:
 * `views[0]`, `views[1]`. Keys: `backbone.*`, `neck.*`, `head.predictor.*`.
 */
import { tidy } from '@selfsup/torch';
import { typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { LatentPredictHead } from '../heads/latent-predict-head.js';
import type { Neck } from '../necks/neck.js';
import '../necks/nonlinear-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput } from './base.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, needViews, type AlgorithmConfigBase } from './parts.js';

export interface SimSiamConfig extends AlgorithmConfigBase {
  /** A `LatentPredictHead` with the predictor. */
  head: TypedConfig;
}

/** `SimSiam` options (everything but `type`). */
export const simsiamSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
});

/** SimSiam (Chen & He 2021): two views `(N, C, H, W)` → symmetric stop-gradient predictor loss. */
export class SimSiam extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: LatentPredictHead;

  constructor(cfg: SimSiamConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const { backbone, neck } = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', backbone);
    this.neck = this.registerModule('neck', neck);
    this.head = this.registerModule('head', buildAs(HEADS, cfg.head, `${path}.head`, LatentPredictHead, 'SimSiam'));
  }

  /** Two views → the symmetric SimSiam loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'SimSiam');
    return tidy(() => {
      const [z1] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[0])));
      const [z2] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[1])));
      const loss = this.head.forward(z1, z2).add(this.head.forward(z2, z1)).mul(0.5);
      return { loss, logs: {} };
    });
  }
}

ALGORITHMS.register('SimSiam', (cfg, path) => new SimSiam(configOptions<SimSiamConfig>(cfg), path), {
  schema: simsiamSchema,
  description: 'SimSiam: predictor + stop-gradient, no momentum encoder (pair with SimSiamHook)',
});
