/**
 * Top-k classification accuracy (the ImageNet protocol of Krizhevsky et al. 2012): a sample counts
 * as correct at k when its label is among the k highest scores. Scores `(N, C)`, labels `(N)`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** Top-1 and top-5 accuracy in percent. */
export interface TopkAccuracy {
  top1: number;
  top5: number;
}

/**
 * How many rows of `scores (N, C)` have their label among the top 1 and top `min(5, C)` scores.
 * Ties are ranked by class index (a stable descending sort), so the count is deterministic.
 */
export function topkCorrect(scores: Tensor, labels: Tensor): { top1: number; top5: number } {
  return torch.tidy(() => {
    if (scores.dim() !== 2 || labels.dim() !== 1 || scores.shape[0] !== labels.shape[0])
      throw new RangeError(`topkCorrect: expected scores (N, C) and labels (N), got [${scores.shape}] and [${labels.shape}]`);
    const k = Math.min(5, scores.shape[1]);
    const ranked = scores.sort({ dim: 1, descending: true, stable: true }).indices.narrow(1, 0, k);
    const hit = ranked.eq(labels.to(ranked.device).long().unsqueeze(1));
    return { top1: hit.narrow(1, 0, 1).sum().item(), top5: hit.sum().item() };
  });
}

/** `correct / total` as a percentage (0 for an empty set). */
export function percent(correct: number, total: number): number {
  return total > 0 ? (100 * correct) / total : 0;
}
