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
import { noGrad, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { prob, z } from '../../core/schema.js';
import { DINOHead } from '../heads/dino-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { MomentumTarget } from './momentum-target.js';
import { multiCropFeatures, resolutionGroups } from './multi-crop.js';
import type { TrainProgress } from '../../core/progress.js';

/** `DINO` options (everything but `type`); the head is a `DINOHead` (`{ type: 'DINOHead', outChannels: 65536, … }`). */
export const dinoSchema = z.strictObject({
  ...baseModelShape,
  /** Momentum of the teacher at the first averaging step. Default 0.99 (MMSelfSup's DINO; the paper: 0.996). */
  baseMomentum: prob().optional(),
});
export type DINOOptions = z.input<typeof dinoSchema>;

export class DINO extends BaseModel<DINOHead> {
  /** The teacher: EMA of the student's backbone + neck, cosine momentum. */
  readonly teacher: MomentumTarget;

  constructor(o: DINOOptions, path = 'model') {
    super(o, path, { head: DINOHead });
    this.teacher = this.registerModule(
      'teacher',
      this.momentumTarget(o, path, { baseMomentum: o.baseMomentum ?? 0.99, schedule: 'cosine' }),
    );
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
      const teacherOut = noGrad(() => {
        this.teacher.step(progress);
        return this.teacher.forward(torch.cat(views.slice(0, 2)))[0];
      });
      const loss = this.head.forward(student, teacherOut, progress);
      return { loss, logs: { momentum: this.teacher.momentum, teacher_temp: this.head.teacherTempAt(progress) } };
    });
  }
}

export const dinoPart = definePart({
  registry: ALGORITHMS,
  name: 'DINO',
  schema: dinoSchema,
  description: 'DINO: student vs EMA teacher on global crops, centring + sharpening, multi-crop',
  build: (o, path) => new DINO(o, path),
});
