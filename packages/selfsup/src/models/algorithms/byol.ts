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
import { noGrad, optim, tidy } from '@selfsup/torch';
import { prob, typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { LatentPredictHead } from '../heads/latent-predict-head.js';
import type { Neck } from '../necks/neck.js';
import '../necks/nonlinear-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput, type TrainProgress } from './base.js';
import { Encoder, MomentumEncoder } from './momentum-encoder.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, needViews, type AlgorithmConfigBase } from './parts.js';

export interface BYOLConfig extends AlgorithmConfigBase {
  /** A `LatentPredictHead` with the predictor (`{ type: 'LatentPredictHead', predictor: {…} }`). */
  head: TypedConfig;
  /** Momentum of the target at the first averaging step. Default 0.99 (MMSelfSup's configs). */
  baseMomentum?: number;
}

/** `BYOL` options (everything but `type`). */
export const byolSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
  baseMomentum: prob().optional(),
});

/** BYOL (Grill et al. 2020): two views `(N, C, H, W)` → symmetric predictor loss against an EMA target. */
export class BYOL extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: LatentPredictHead;
  /** The target network (EMA of backbone + neck). */
  readonly targetNet: MomentumEncoder;
  readonly baseMomentum: number;

  constructor(cfg: BYOLConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const online = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', online.backbone);
    this.neck = this.registerModule('neck', online.neck);
    this.head = this.registerModule('head', buildAs(HEADS, cfg.head, `${path}.head`, LatentPredictHead, 'BYOL'));
    this.baseMomentum = cfg.baseMomentum ?? 0.99;
    const target = buildBackboneNeck(cfg, path);
    this.targetNet = this.registerModule(
      'target_net',
      new MomentumEncoder(new Encoder(this.backbone, this.neck), new Encoder(target.backbone, target.neck)),
    );
  }

  /** The target's momentum at `progress`: 1 − (1 − m₀)(cos(πk/K) + 1)/2 (m₀ without progress). */
  momentumAt(progress?: TrainProgress): number {
    if (!progress) return this.baseMomentum;
    return optim.cosineMomentum(this.baseMomentum, progress.iter, progress.maxIters);
  }

  /** Two views → the symmetric BYOL loss; updates the target first (after the online forward, so it copies this step's BN statistics). Logs the momentum used. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    needViews(batch.views, 2, 'BYOL');
    return tidy(() => {
      const v1 = this.preprocess(batch.views[0]);
      const v2 = this.preprocess(batch.views[1]);
      const [online1] = this.neck.forward(this.backbone.forward(v1));
      const [online2] = this.neck.forward(this.backbone.forward(v2));
      const momentum = this.momentumAt(progress);
      const [target1, target2] = noGrad(() => {
        this.targetNet.update(momentum);
        return [this.targetNet.forward(v1)[0], this.targetNet.forward(v2)[0]];
      });
      const loss = this.head.forward(online1, target2).add(this.head.forward(online2, target1)).mul(2);
      return { loss, logs: { momentum } };
    });
  }
}

ALGORITHMS.register('BYOL', (cfg, path) => new BYOL(configOptions<BYOLConfig>(cfg), path), {
  schema: byolSchema,
  description: 'BYOL: online predictor vs EMA target (cosine momentum 0.99 → 1), symmetric',
});
