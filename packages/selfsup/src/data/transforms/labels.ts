/**
 * Transforms that make their own labels, for pretext-task algorithms.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/**
 * RotationPred (Gidaris et al. 2018, "Unsupervised Representation Learning by Predicting Image
 * Rotations"): the `(C, H, W)` image turned counter-clockwise by 0°, 90°, 180° and 270°
 * (`torch.rot90(img, k, [1, 2])`; odd turns swap H and W), with labels 0–3.
 */
export function rotationsWithLabels(img: Tensor): { imgs: Tensor[]; labels: number[] } {
  if (img.dim() !== 3) throw new RangeError(`rotationsWithLabels: expected a (C, H, W) image, got ${img.dim()} dims`);
  const imgs = [0, 1, 2, 3].map((k) => (k === 0 ? img.clone() : torch.ops.aten.rot90(img, k, [1, 2]).contiguous()));
  return { imgs, labels: [0, 1, 2, 3] };
}
