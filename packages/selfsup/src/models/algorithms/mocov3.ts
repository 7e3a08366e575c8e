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
import { optim } from '@selfsup/torch';
import { ConfigError, prob, typed, z } from '../../engine/config/schema.js';
import { BACKBONES, configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { MoCoV3Head } from '../heads/mocov3-head.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import {
  ALGORITHMS,
  Algorithm,
  type AlgorithmInput,
  type DataPreprocessorOptions,
  type LossOutput,
  type TrainProgress,
} from './base.js';
import { dataPreprocessorSchema } from './parts.js';
import { Encoder, MomentumEncoder } from './momentum-encoder.js';

export interface MoCoV3Options {
  backbone: TypedConfig;
  /** Projector, normally a NonLinearNeck (R50: 2048 → 4096 → 256, 2 layers; ViT: 3 layers). */
  neck: TypedConfig;
  /** A MoCoV3Head (predictor, temperature 1.0 for R50 / 0.2 for ViT). */
  head: TypedConfig;
  /** Momentum at the start of the cosine schedule (to 1 at the end). Default 0.99 (0.996 for long runs). */
  baseMomentum?: number;
  dataPreprocessor?: DataPreprocessorOptions;
}

export const mocoV3Schema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  baseMomentum: prob().optional(),
  dataPreprocessor: dataPreprocessorSchema(),
});

export class MoCoV3 extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: MoCoV3Head;
  readonly momentumEncoder: MomentumEncoder;
  readonly baseMomentum: number;
  /** The momentum of the latest momentum-encoder update. */
  momentum: number;

  constructor(opts: MoCoV3Options, path = 'model') {
    super(opts.dataPreprocessor);
    this.baseMomentum = opts.baseMomentum ?? 0.99;
    this.momentum = this.baseMomentum;
    this.backbone = this.registerModule('backbone', BACKBONES.build(opts.backbone, `${path}.backbone`));
    this.neck = this.registerModule('neck', buildNeck(opts.neck, `${path}.neck`));
    const head = HEADS.build(opts.head, `${path}.head`);
    if (!(head instanceof MoCoV3Head))
      throw new ConfigError(`${path}.head.type`, `MoCoV3 needs a MoCoV3Head, got '${opts.head.type}'`);
    this.head = this.registerModule('head', head);
    const copy = new Encoder(BACKBONES.build(opts.backbone, `${path}.backbone`), buildNeck(opts.neck, `${path}.neck`));
    this.momentumEncoder = this.registerModule(
      'momentum_encoder',
      new MomentumEncoder(new Encoder(this.backbone, this.neck), copy),
    );
  }

  /**
   * The momentum at `progress`: 1 − (1 − m₀)(cos(π·iter/maxIters) + 1)/2 (MMSelfSup's CosineEMA);
   * `baseMomentum` when no progress is given.
   */
  momentumAt(progress?: TrainProgress): number {
    if (!progress || !(progress.maxIters > 0)) return this.baseMomentum;
    return optim.cosineMomentum(this.baseMomentum, progress.iter, progress.maxIters);
  }

  /** Symmetric InfoNCE: predictor(q₁) vs momentum keys of view 2 and predictor(q₂) vs keys of view 1. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    if (batch.views.length < 2) throw new RangeError(`MoCoV3: needs 2 views, got ${batch.views.length}`);
    return torch.tidy(() => {
      const v1 = this.preprocess(batch.views[0]);
      const v2 = this.preprocess(batch.views[1]);
      const q1 = this.neck.forward(this.backbone.forward(v1))[0];
      const q2 = this.neck.forward(this.backbone.forward(v2))[0];
      const [k1, k2] = torch.noGrad(() => {
        this.momentum = this.momentumAt(progress);
        this.momentumEncoder.update(this.momentum);
        return [this.momentumEncoder.forward(v1)[0], this.momentumEncoder.forward(v2)[0]];
      });
      const loss = this.head.forward(q1, k2).add(this.head.forward(q2, k1));
      return { loss, logs: { loss_contrastive: loss.item(), momentum: this.momentum } };
    });
  }
}

ALGORITHMS.register('MoCoV3', (cfg, path) => new MoCoV3(configOptions<MoCoV3Options>(cfg), path), {
  schema: mocoV3Schema,
  description: 'MoCo v3: symmetric InfoNCE with a predictor and a cosine-momentum encoder (ResNet or ViT)',
});
