/**
 * MoCo v3 (Chen et al. 2021, "An Empirical Study of Training Self-Supervised Vision
 * Transformers", arXiv:2104.02057), as MMSelfSup's `MoCoV3`: a base encoder (backbone → projector
 * neck) with a predictor in the head, a momentum encoder whose momentum follows a cosine schedule
 * from `baseMomentum` to 1 over training, no queue (the other keys of the gathered batch are the
 * negatives), and the symmetric loss head(q₁, k₂) + head(q₂, k₁). ResNet or ViT backbones (a ViT's
 * class token feeds a NonLinearNeck with `vitBackbone: true`).
 *
 * Views are `(N, C, H, W)`. State-dict keys are MMSelfSup's: `backbone.*`, `neck.*`,
 * `head.predictor.*`, `momentum_encoder.steps`, `momentum_encoder.module.{0,1}.*`.
 */
import * as torch from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { prob, z } from '../../core/schema.js';
import { MoCoV3Head } from '../heads/mocov3-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { MomentumTarget } from './momentum-target.js';
import type { TrainProgress } from '../../core/progress.js';

/**
 * `MoCoV3` options (everything but `type`): the neck is the projector, normally a NonLinearNeck
 * (R50: 2048 → 4096 → 256, 2 layers; ViT: 3 layers); the head a MoCoV3Head (predictor,
 * temperature 1.0 for R50 / 0.2 for ViT).
 */
export const mocoV3Schema = z.strictObject({
  ...baseModelShape,
  /** Momentum at the start of the cosine schedule (to 1 at the end). Default 0.99 (0.996 for long runs). */
  baseMomentum: prob().optional(),
});
export type MoCoV3Options = z.input<typeof mocoV3Schema>;

export class MoCoV3 extends BaseModel<MoCoV3Head> {
  /** The momentum encoder (EMA of backbone + neck, cosine momentum). */
  readonly momentumEncoder: MomentumTarget;

  constructor(o: MoCoV3Options, path = 'model') {
    super(o, path, { head: MoCoV3Head });
    this.momentumEncoder = this.registerModule(
      'momentum_encoder',
      this.momentumTarget(o, path, { baseMomentum: o.baseMomentum ?? 0.99, schedule: 'cosine' }),
    );
  }

  /** Symmetric InfoNCE: predictor(q₁) vs momentum keys of view 2 and predictor(q₂) vs keys of view 1. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    needViews(batch.views, 2, 'MoCoV3');
    return torch.tidy(() => {
      const v1 = this.preprocess(batch.views[0]);
      const v2 = this.preprocess(batch.views[1]);
      const [q1] = this.encode(v1);
      const [q2] = this.encode(v2);
      const [k1, k2] = torch.noGrad(() => {
        this.momentumEncoder.step(progress);
        return [this.momentumEncoder.forward(v1)[0], this.momentumEncoder.forward(v2)[0]];
      });
      const loss = this.head.forward(q1, k2).add(this.head.forward(q2, k1));
      return { loss, logs: { loss_contrastive: loss.item(), momentum: this.momentumEncoder.momentum } };
    });
  }
}

export const mocoV3Part = definePart({
  registry: ALGORITHMS,
  name: 'MoCoV3',
  schema: mocoV3Schema,
  description: 'MoCo v3: symmetric InfoNCE with a predictor and a cosine-momentum encoder (ResNet or ViT)',
  build: (o, path) => new MoCoV3(o, path),
});
