/**
 * The DINO loss (Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers",
 * arXiv:2104.14294) as a function, and its teacher-temperature schedule. The teacher's outputs on
 * the two global crops are centred and sharpened into targets; the student's outputs on every crop
 * predict the targets of the global crops other than their own:
 *
 *   P_t = softmax((t − c)/τ_t),   L = 1/#pairs Σ_{i∈global} Σ_{v≠i} −mean_n Σ_k P_t[i] log softmax(s_v/τ_s)
 *
 * Inputs: student `(V·N, K)` for V crops (globals first), teacher `(2·N, K)`, centre `c (1, K)`.
 * The module with the centre's moving average is the `DINOHead` (MMSelfSup's: the centre's key is
 * `head.center`).
 */
import * as torch from '@selfsup/torch';
import { F, noGrad, type Tensor, tidy } from '@selfsup/torch';

/** The official schedule: `linspace(warmup, final, epochs)[epoch]` during the warm-up, then `final`. */
export function teacherTemperature(epoch: number, warmup: number, final: number, warmupEpochs: number): number {
  if (epoch >= warmupEpochs) return final;
  if (warmupEpochs === 1) return warmup;
  return warmup + ((final - warmup) * epoch) / (warmupEpochs - 1);
}

export interface DINOLossTemperatures {
  /** τ_s. */
  student: number;
  /** τ_t (this epoch's). */
  teacher: number;
}

/**
 * Student `(V·N, K)`, teacher `(2·N, K)` and centre `(1, K)` → the 0-d DINO loss; V is inferred
 * from the shapes (at least the two global crops). No gradient flows to the teacher.
 */
export function dinoLoss(student: Tensor, teacher: Tensor, center: Tensor, temp: DINOLossTemperatures): Tensor {
  const k = center.shape[1];
  if (teacher.dim() !== 2 || teacher.shape[1] !== k || teacher.shape[0] % 2 !== 0)
    throw new RangeError(`dinoLoss: expected teacher outputs (2·N, ${k}) of the two global crops, got [${teacher.shape}]`);
  const n = teacher.shape[0] / 2;
  if (student.dim() !== 2 || student.shape[1] !== k || student.shape[0] % n !== 0)
    throw new RangeError(`dinoLoss: expected student outputs (V·${n}, ${k}), got [${student.shape}]`);
  const crops = student.shape[0] / n;
  if (crops < 2) throw new RangeError('dinoLoss: the student needs at least the two global crops');
  return tidy(() => {
    const targets = noGrad(() => F.softmax(teacher.detach().sub(center).div(temp.teacher), -1)).chunk(2, 0);
    const logp = F.logSoftmax(student.div(temp.student), -1).chunk(crops, 0);
    const terms: Tensor[] = [];
    for (const [i, q] of targets.entries()) {
      for (const [v, lp] of logp.entries()) {
        if (v === i) continue;
        terms.push(q.mul(lp).sum(-1).mean().neg());
      }
    }
    return torch.stack(terms).mean();
  });
}
