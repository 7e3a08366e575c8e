/**
 * Transforms that make their own labels, for pretext-task algorithms. As pipeline steps they turn
 * one image into several views whose labels are fixed by position: RotationPred's view k is the
 * k-quarter turn (label k); RelativeLoc's view 0 is the centre patch and view k + 1 the neighbour
 * with label k.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import * as T from './functional.js';
import type { Rng } from './rng.js';
import type { MultiOutputTransform } from './steps.js';

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

/** MMSelfSup's `RotationWithLabels` as a pipeline step: four views, view k turned k quarter turns (label k). */
export class RotationWithLabels implements MultiOutputTransform {
  readonly outputs = 4;
  readonly labels = [0, 1, 2, 3];
  applyMulti(img: Tensor): Tensor[] {
    return rotationsWithLabels(img).imgs;
  }
  applyMultiBatch(batch: Tensor): Tensor[] {
    return [0, 1, 2, 3].map((k) => (k === 0 ? batch.clone() : torch.ops.aten.rot90(batch, k, [2, 3]).contiguous()));
  }
}

/**
 * RelativeLoc (Doersch et al. 2015, "Unsupervised Visual Representation Learning by Context
 * Prediction"), MMSelfSup's `RandomPatchWithLabels`: the image is cut into a `gridSize`² grid of
 * ⌊H/g⌋ × ⌊W/g⌋ cells and a (cell − `jitter`)-sized patch is cropped at a random offset inside each
 * cell (cells row-major). Views: the centre patch, then the 8 neighbours in grid order with
 * labels 0–7.
 */
export class RandomPatchWithLabels implements MultiOutputTransform {
  readonly gridSize: number;
  readonly jitter: number;
  readonly outputs: number;
  readonly labels: number[];

  constructor(o: { gridSize?: number; jitter?: number } = {}) {
    this.gridSize = o.gridSize ?? 3;
    this.jitter = o.jitter ?? 21;
    if (this.gridSize < 2 || this.gridSize % 2 === 0)
      throw new RangeError(`RandomPatchWithLabels: gridSize must be odd and at least 3, got ${this.gridSize}`);
    this.outputs = this.gridSize * this.gridSize;
    this.labels = Array.from({ length: this.outputs - 1 }, (_, i) => i);
  }

  /** Every cell's patch `[top, left, h, w]` in image coordinates, row-major. */
  getParams(height: number, width: number, rng: Rng): [number, number, number, number][] {
    const g = this.gridSize;
    const ch = Math.floor(height / g);
    const cw = Math.floor(width / g);
    const ph = ch - this.jitter;
    const pw = cw - this.jitter;
    if (ph <= 0 || pw <= 0)
      throw new RangeError(
        `RandomPatchWithLabels: a ${height}×${width} image gives ${ch}×${cw} cells, too small for jitter ${this.jitter}`,
      );
    const boxes: [number, number, number, number][] = [];
    for (let i = 0; i < g; i++) {
      for (let j = 0; j < g; j++) {
        const y = rng.randint(0, ch - ph + 1);
        const x = rng.randint(0, cw - pw + 1);
        boxes.push([i * ch + y, j * cw + x, ph, pw]);
      }
    }
    return boxes;
  }

  applyMulti(img: Tensor, rng: Rng): Tensor[] {
    const boxes = this.getParams(img.shape[img.dim() - 2], img.shape[img.dim() - 1], rng);
    const centre = (this.outputs - 1) / 2;
    const order = [centre, ...[...boxes.keys()].filter((k) => k !== centre)];
    return order.map((k) => T.crop(img, ...boxes[k]));
  }
}
