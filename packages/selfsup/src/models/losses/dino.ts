/**
 * `DINOLoss`: self-distillation with no labels (Caron et al. 2021, "Emerging Properties in
 * Self-Supervised Vision Transformers", arXiv:2104.14294). The teacher's outputs on the two global
 * crops are centred and sharpened into targets; the student's outputs on every crop predict the
 * targets of the global crops other than their own:
 *
 *   P_t = softmax((t − c)/τ_t),   L = 1/#pairs Σ_{i∈global} Σ_{v≠i} −mean_n Σ_k P_t[i] log softmax(s_v/τ_s)
 *   c ← m·c + (1 − m)·mean_n t   (after each call, over every rank's teacher outputs)
 *
 * The centre `c` `(1, K)` is a buffer (`center`), so checkpoints hold it. τ_s = 0.1; τ_t warms up
 * linearly per epoch from 0.04 to 0.07 over `warmupTeacherTempEpochs` epochs (the official
 * `teacher_temp_schedule`: `linspace(warmup, final, E)[epoch]`, then `final`), read from `progress`.
 * Inputs: student `(V·N, K)` for V crops (globals first), teacher `(2·N, K)`.
 */
import * as torch from '@selfsup/torch';
import { distributed as dist, F, nn, noGrad, type Tensor, tidy } from '@selfsup/torch';
import { nonNegInt, posInt, posNum, prob, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { LOSSES } from '../registries.js';
import type { TrainProgress } from '../../core/progress.js';

/** `DINOLoss` options (everything but `type`). */
export const dinoLossSchema = z.strictObject({
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

export type DINOLossOptions = z.input<typeof dinoLossSchema>;

/** The official schedule: `linspace(warmup, final, epochs)[epoch]` during the warm-up, then `final`. */
export function teacherTemperature(epoch: number, warmup: number, final: number, warmupEpochs: number): number {
  if (epoch >= warmupEpochs) return final;
  if (warmupEpochs === 1) return warmup;
  return warmup + ((final - warmup) * epoch) / (warmupEpochs - 1);
}

/** DINO loss (Caron et al. 2021) with its centre: student `(V·N, K)`, teacher `(2·N, K)` → 0-d loss. */
export class DINOLoss extends nn.Module<[Tensor, Tensor, TrainProgress?], Tensor> {
  readonly outChannels: number;
  readonly numCrops: number | null;
  readonly studentTemp: number;
  readonly centerMomentum: number;
  readonly warmupTeacherTemp: number;
  readonly teacherTemp: number;
  readonly warmupTeacherTempEpochs: number;
  /** `(1, K)` moving average of the teacher's outputs. */
  readonly center: Tensor;

  constructor(opts: DINOLossOptions) {
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
    const k = this.outChannels;
    if (teacher.dim() !== 2 || teacher.shape[1] !== k || teacher.shape[0] % 2 !== 0)
      throw new RangeError(`DINOLoss: expected teacher outputs (2·N, ${k}) of the two global crops, got [${teacher.shape}]`);
    const n = teacher.shape[0] / 2;
    if (student.dim() !== 2 || student.shape[1] !== k || student.shape[0] % n !== 0)
      throw new RangeError(`DINOLoss: expected student outputs (V·${n}, ${k}), got [${student.shape}]`);
    const crops = student.shape[0] / n;
    if (this.numCrops !== null && crops !== this.numCrops)
      throw new RangeError(`DINOLoss: configured for ${this.numCrops} crops but got ${crops}`);
    if (crops < 2) throw new RangeError('DINOLoss: the student needs at least the two global crops');
    const tau = this.teacherTempAt(progress);
    const loss = tidy(() => {
      const targets = noGrad(() => F.softmax(teacher.detach().sub(this.center).div(tau), -1)).chunk(2, 0);
      const logp = F.logSoftmax(student.div(this.studentTemp), -1).chunk(crops, 0);
      const terms: Tensor[] = [];
      for (const [i, q] of targets.entries()) {
        for (const [v, lp] of logp.entries()) {
          if (v === i) continue;
          terms.push(q.mul(lp).sum(-1).mean().neg());
        }
      }
      return torch.stack(terms).mean();
    });
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

/** `DINOLoss` in LOSSES. */
export const dinoLossPart = definePart({
  registry: LOSSES,
  name: 'DINOLoss',
  schema: dinoLossSchema,
  description: 'DINO self-distillation: centred, sharpened teacher targets (τ_t 0.04→0.07), student τ 0.1',
  build: (o) => new DINOLoss(o),
});
