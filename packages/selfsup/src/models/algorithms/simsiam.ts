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
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { LatentPredictHead } from '../heads/latent-predict-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';

/** `SimSiam` options (everything but `type`); the head is a `LatentPredictHead` with the predictor. */
export const simsiamSchema = z.strictObject(baseModelShape);
export type SimSiamOptions = z.input<typeof simsiamSchema>;

/** SimSiam (Chen & He 2021): two views `(N, C, H, W)` → symmetric stop-gradient predictor loss. */
export class SimSiam extends BaseModel<LatentPredictHead> {
  constructor(o: SimSiamOptions, path = 'model') {
    super(o, path, { head: LatentPredictHead });
  }

  /** Two views → the symmetric SimSiam loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'SimSiam');
    return tidy(() => {
      const [z1] = this.encode(this.preprocess(batch.views[0]));
      const [z2] = this.encode(this.preprocess(batch.views[1]));
      const loss = this.head.forward(z1, z2).add(this.head.forward(z2, z1)).mul(0.5);
      return { loss, logs: {} };
    });
  }
}

export const simsiamPart = definePart({
  registry: ALGORITHMS,
  name: 'SimSiam',
  schema: simsiamSchema,
  description: 'SimSiam: predictor + stop-gradient, no momentum encoder (pair with SimSiamHook)',
  build: (o, path) => new SimSiam(o, path),
});
