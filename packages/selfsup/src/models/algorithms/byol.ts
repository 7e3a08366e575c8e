/**
 * BYOL, "Bootstrap Your Own Latent" (Grill et al. 2020, arXiv:2006.07733), as MMSelfSup's `BYOL`:
 * an online network (backbone → projector neck → predictor in the head) predicts the projection
 * of the other view made by a target network, the EMA of the online backbone and neck:
 *
 *   L = 2·(ℓ(q₁, z′₂) + ℓ(q₂, z′₁)),   ℓ = −mean cos (the head's CosineSimilarityLoss)
 *
 * which differs from the paper's Σ(2 − 2cos) by a constant. The target is updated at every call
 * (first call: a copy) with momentum m = 1 − (1 − m₀)(cos(πk/K) + 1)/2, m₀ = 0.99, k the
 * iteration and K the run's iterations (MMSelfSup's `CosineEMA`). Views `(N, C, H, W)`: `views[0]`, `views[1]` (the asymmetric augmentations
 * are the pipeline's). Keys: `backbone.*`, `neck.*`, `head.predictor.*`, `target_net.module.{0,1}.*`,
 * `target_net.steps` (MMSelfSup's).
 */
import { noGrad, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { prob, z } from '../../core/schema.js';
import { LatentPredictHead } from '../heads/latent-predict-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { MomentumTarget } from './momentum-target.js';
import type { TrainProgress } from '../../core/progress.js';

/** `BYOL` options (everything but `type`); the head is a `LatentPredictHead` with the predictor. */
export const byolSchema = z.strictObject({
  ...baseModelShape,
  /** Momentum of the target at the first averaging step. Default 0.99 (MMSelfSup's configs). */
  baseMomentum: prob().optional(),
});
export type BYOLOptions = z.input<typeof byolSchema>;

/** BYOL (Grill et al. 2020): two views `(N, C, H, W)` → symmetric predictor loss against an EMA target. */
export class BYOL extends BaseModel<LatentPredictHead> {
  /** The target network (EMA of backbone + neck, cosine momentum). */
  readonly targetNet: MomentumTarget;

  constructor(o: BYOLOptions, path = 'model') {
    super(o, path, { head: LatentPredictHead });
    this.targetNet = this.registerModule(
      'target_net',
      this.momentumTarget(o, path, { baseMomentum: o.baseMomentum ?? 0.99, schedule: 'cosine' }),
    );
  }

  /** Two views → the symmetric BYOL loss; updates the target first (after the online forward, so it copies this step's BN statistics). Logs the momentum used. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    needViews(batch.views, 2, 'BYOL');
    return tidy(() => {
      const v1 = this.preprocess(batch.views[0]);
      const v2 = this.preprocess(batch.views[1]);
      const [online1] = this.encode(v1);
      const [online2] = this.encode(v2);
      const [target1, target2] = noGrad(() => {
        this.targetNet.step(progress);
        return [this.targetNet.forward(v1)[0], this.targetNet.forward(v2)[0]];
      });
      const loss = this.head.forward(online1, target2).add(this.head.forward(online2, target1)).mul(2);
      return { loss, logs: { momentum: this.targetNet.momentum } };
    });
  }
}

export const byolPart = definePart({
  registry: ALGORITHMS,
  name: 'BYOL',
  schema: byolSchema,
  description: 'BYOL: online predictor vs EMA target (cosine momentum 0.99 → 1), symmetric',
  build: (o, path) => new BYOL(o, path),
});
