/**
 * DINO, "Emerging Properties in Self-Supervised Vision Transformers" (Caron et al. 2021,
 * arXiv:2104.14294), as MMSelfSup's `projects/dino`: a student (backbone → `DINONeck`) and a
 * teacher, the EMA of the student (momentum 0.99 → 1 along a cosine over the run's iterations),
 * and the `DINOHead`'s loss: the teacher sees only the two global crops, centred and sharpened
 * (τ_t warming up 0.04 → 0.07 by epoch), and every student crop predicts the global crops other
 * than its own.
 *
 * Views `(N, C, H, W)`: `views[0]`, `views[1]` global, the rest local (any resolution; the backbone
 * runs once per resolution group). Keys: `backbone.*`, `neck.*`, `head.center`,
 * `teacher.module.{0,1}.*`, `teacher.steps`. Logs the momentum and τ_t used.
 */
import * as torch from '@selfsup/torch';
import { noGrad, optim, type Tensor, tidy } from '@selfsup/torch';
import { prob, typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import '../heads/dino-head.js';
import { DINOLoss } from '../losses/dino.js';
import type { Neck } from '../necks/neck.js';
import '../necks/dino-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput, type TrainProgress } from './base.js';
import { Encoder, MomentumEncoder } from './momentum-encoder.js';
import { multiCropFeatures, resolutionGroups } from './multi-crop.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, needViews, type AlgorithmConfigBase } from './parts.js';

export interface DINOConfig extends AlgorithmConfigBase {
  /** A `DINOHead` (`{ type: 'DINOHead', outChannels: 65536, … }`). */
  head: TypedConfig;
  /** Momentum of the teacher at the first averaging step. Default 0.99 (MMSelfSup's DINO; the paper: 0.996). */
  baseMomentum?: number;
}

/** `DINO` options (everything but `type`). */
export const dinoSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
  baseMomentum: prob().optional(),
});

/** DINO (Caron et al. 2021): 2 global + local views `(N, C, H, W)` → self-distillation loss against an EMA teacher. */
export class DINO extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: DINOLoss;
  readonly teacher: MomentumEncoder;
  readonly baseMomentum: number;

  constructor(cfg: DINOConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const student = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', student.backbone);
    this.neck = this.registerModule('neck', student.neck);
    this.head = this.registerModule('head', buildAs(HEADS, cfg.head, `${path}.head`, DINOLoss, 'DINO'));
    this.baseMomentum = cfg.baseMomentum ?? 0.99;
    const teacher = buildBackboneNeck(cfg, path);
    this.teacher = this.registerModule(
      'teacher',
      new MomentumEncoder(new Encoder(this.backbone, this.neck), new Encoder(teacher.backbone, teacher.neck)),
    );
  }

  /** The teacher's momentum at `progress`: 1 − (1 − m₀)(cos(πk/K) + 1)/2 (m₀ without progress). */
  momentumAt(progress?: TrainProgress): number {
    if (!progress) return this.baseMomentum;
    return optim.cosineMomentum(this.baseMomentum, progress.iter, progress.maxIters);
  }

  /** The student's outputs for every crop `(V·N, K)`, crop by crop (the neck runs per resolution group). */
  private studentOutputs(views: Tensor[]): Tensor {
    return tidy(() => {
      const feats = multiCropFeatures(this.backbone, views);
      const outs = feats.map((f) => this.neck.forward([f])[0]);
      return outs.length === 1 ? outs[0] : torch.cat(outs);
    });
  }

  /** All crops (2 global first) → the DINO loss; updates the teacher first. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    needViews(batch.views, 2, 'DINO');
    return tidy(() => {
      const views = batch.views.map((v) => this.preprocess(v));
      if (resolutionGroups(views.slice(0, 2)).length !== 1)
        throw new RangeError('DINO: the two global crops must have the same size');
      const student = this.studentOutputs(views);
      const momentum = this.momentumAt(progress);
      const teacherOut = noGrad(() => {
        this.teacher.update(momentum);
        return this.teacher.forward(torch.cat(views.slice(0, 2)))[0];
      });
      const loss = this.head.forward(student, teacherOut, progress);
      return { loss, logs: { momentum, teacher_temp: this.head.teacherTempAt(progress) } };
    });
  }
}

ALGORITHMS.register('DINO', (cfg, path) => new DINO(configOptions<DINOConfig>(cfg), path), {
  schema: dinoSchema,
  description: 'DINO: student vs EMA teacher on global crops, centring + sharpening, multi-crop',
});
