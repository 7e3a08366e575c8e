/**
 * MMSelfSup's `DINOHead` (Caron et al. 2021, arXiv:2104.14294; MMSelfSup `projects/dino`): the
 * DINO loss (`dinoLoss` in losses/dino.ts) with its centre `c (1, K)`, a buffer at MMSelfSup's key
 * `head.center`, updated after each training call over every rank's teacher outputs:
 *
 *   c ← m·c + (1 − m)·mean_n t
 *
 * τ_s = 0.1; τ_t warms up linearly per epoch from 0.04 to 0.07 over `warmupTeacherTempEpochs`
 * epochs (the official `teacher_temp_schedule`), read from `progress`.
 * `forward(student (V·N, K), teacher (2·N, K), progress)` → the 0-d loss.
 */
import * as torch from '@selfsup/torch';
import { distributed as dist, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import type { TrainProgress } from '../../core/progress.js';
import { definePart } from '../../core/registry.js';
import { nonNegInt, posInt, posNum, prob, z } from '../../core/schema.js';
import { dinoLoss, teacherTemperature } from '../losses/dino.js';
import { HEADS } from '../registries.js';

/** `DINOHead` options (everything but `type`): MMSelfSup's plus the teacher-temperature schedule. */
export const dinoHeadSchema = z.strictObject({
  /** K: the projection's output size. */
  outChannels: posInt(),
  /** Crops per sample V (2 global + local ones); inferred from the inputs when not given. */
  numCrops: posInt().optional(),
  /** τ_s. Default 0.1. */
  studentTemp: posNum().optional(),
  /** m of the centre's moving average. Default 0.9. */
  centerMomentum: prob().optional(),
  /** τ_t at epoch 0. Default 0.04. */
  warmupTeacherTemp: posNum().optional(),
  /** τ_t after the warm-up. Default 0.07. */
  teacherTemp: posNum().optional(),
  /** Warm-up length in epochs (0: `teacherTemp` from the start). Default 30. */
  warmupTeacherTempEpochs: nonNegInt().optional(),
});

export type DINOHeadOptions = z.input<typeof dinoHeadSchema>;

/** DINO loss (Caron et al. 2021) with its centre: student `(V·N, K)`, teacher `(2·N, K)` → 0-d loss. */
export class DINOHead extends nn.Module<[Tensor, Tensor, TrainProgress?], Tensor> {
  readonly outChannels: number;
  readonly numCrops: number | null;
  readonly studentTemp: number;
  readonly centerMomentum: number;
  readonly warmupTeacherTemp: number;
  readonly teacherTemp: number;
  readonly warmupTeacherTempEpochs: number;
  /** `(1, K)` moving average of the teacher's outputs. */
  readonly center: Tensor;

  constructor(opts: DINOHeadOptions) {
    super();
    this.outChannels = opts.outChannels;
    this.numCrops = opts.numCrops ?? null;
    this.studentTemp = opts.studentTemp ?? 0.1;
    this.centerMomentum = opts.centerMomentum ?? 0.9;
    this.warmupTeacherTemp = opts.warmupTeacherTemp ?? 0.04;
    this.teacherTemp = opts.teacherTemp ?? 0.07;
    this.warmupTeacherTempEpochs = opts.warmupTeacherTempEpochs ?? 30;
    this.center = this.registerBuffer('center', torch.zeros([1, opts.outChannels]));
  }

  /** τ_t at `progress` (without progress: the final value). */
  teacherTempAt(progress?: TrainProgress): number {
    if (!progress) return this.teacherTemp;
    return teacherTemperature(progress.epoch, this.warmupTeacherTemp, this.teacherTemp, this.warmupTeacherTempEpochs);
  }

  /**
   * Student `(V·N, K)` and teacher `(2·N, K)` outputs → the 0-d loss; then updates the centre
   * with the teacher's batch mean.
   */
  forward(student: Tensor, teacher: Tensor, progress?: TrainProgress): Tensor {
    const crops = teacher.shape[0] > 0 ? (student.shape[0] * 2) / teacher.shape[0] : 0;
    if (this.numCrops !== null && crops !== this.numCrops)
      throw new RangeError(`DINOHead: configured for ${this.numCrops} crops but got ${crops}`);
    const loss = dinoLoss(student, teacher, this.center, { student: this.studentTemp, teacher: this.teacherTempAt(progress) });
    if (this.training) this.updateCenter(teacher);
    return loss;
  }

  /** c ← m·c + (1 − m)·(Σ teacher rows over every rank) / (rows over every rank). */
  updateCenter(teacher: Tensor): void {
    tidy(() =>
      noGrad(() => {
        const world = dist.isInitialized() ? dist.getWorldSize() : 1;
        const batchSum = teacher.detach().sum(0, { keepdim: true }).to(this.center.dtype);
        if (world > 1) dist.allReduce(batchSum);
        const batchCenter = batchSum.div(teacher.shape[0] * world);
        this.center.mul_(this.centerMomentum).add_(batchCenter, { alpha: 1 - this.centerMomentum });
      }),
    );
  }

  override extraRepr(): string {
    return `out_channels=${this.outChannels}, student_temp=${this.studentTemp}, center_momentum=${this.centerMomentum}, teacher_temp=${this.warmupTeacherTemp}→${this.teacherTemp} over ${this.warmupTeacherTempEpochs} epochs`;
  }
}

/** `DINOHead` in HEADS. */
export const dinoHeadPart = definePart({
  registry: HEADS,
  name: 'DINOHead',
  schema: dinoHeadSchema,
  description: 'DINO: centred, sharpened teacher targets for every student crop; centre EMA (head.center)',
  build: (o) => new DINOHead(o),
});
