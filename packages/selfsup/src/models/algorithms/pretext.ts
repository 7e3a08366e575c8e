/**
 * What the pretext-task classifiers (RotationPred, RelativeLoc) share: their views come from a
 * multi-output pipeline step whose outputs are labelled by position (`RotationWithLabels`: view k
 * is the k-quarter turn, label k; `RandomPatchWithLabels`: view 0 the centre patch, view k + 1 the
 * neighbour with label k), so the labels follow from the view order and need not travel with the
 * batch. Images are `(N, C, H, W)`; stacking is sample-major, as MMSelfSup's data preprocessors
 * stack them (row n·K + k is view k of sample n).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** Throws unless there are exactly `n` views, all of one `(N, C, H, W)` shape. */
export function checkPretextViews(views: Tensor[], n: number, who: string, step: string): void {
  if (views.length !== n)
    throw new RangeError(
      `${who}: expected the ${n} views of a ${step} pipeline step per sample, got ${views.length}; end the pipeline with { type: '${step}' }`,
    );
  const shapes = new Set(views.map((v) => v.shape.join('×')));
  if (views[0].dim() !== 4 || shapes.size > 1)
    throw new RangeError(`${who}: the ${n} views must all be (N, C, H, W) of one size, got ${[...shapes].join(', ')}`);
}

/** `K` views `(N, C, H, W)` → `(N·K, C, H, W)`, sample-major. */
export function stackSampleMajor(views: Tensor[]): Tensor {
  return torch.tidy(() => torch.stack(views, 1).flatten(0, 1));
}

/** The labels of `N` samples × `K` positions, sample-major: `[0, 1, …, K−1]` repeated N times, int64 `(N·K)`. */
export function positionLabels(n: number, k: number, device: torch.Device = 'cpu'): Tensor {
  return torch.tidy(() => torch.arange(0, k, 1, { dtype: 'int64', device }).repeat(n));
}

/** Top-1 accuracy of `(M, K)` scores against `(M)` labels, as a number. */
export function top1(scores: Tensor, labels: Tensor): number {
  return torch.tidy(() => torch.noGrad(() => scores.argmax(1).eq(labels).to('float32').mean().item()));
}
