/**
 * Progressive resizing (FFCV's ResNet recipes; Touvron et al. 2019, "Fixing the train-test
 * resolution discrepancy"): train on smaller images for most of the schedule, where an
 * iteration costs about the square of the side, and ramp up to the full size towards the end so
 * that the network ends at the resolution it is evaluated at. On a CPU, where a training run is
 * a budget of minutes, this buys more epochs in the same time.
 *
 * The hook sets, before every iteration, the size the runner resizes the input views to
 * (bilinear, antialiased, so a downsized 32-px crop is what cropping at the smaller size gives).
 * Sizes are those of a view the pipeline makes `endSize` pixels; a view of another size (a
 * multi-crop's small crops) is resized by the same factor. The ramp is written in fractions of
 * training, so it follows a schedule fitted into a time budget (`--fit-minutes`).
 */
import { definePart } from '../../core/registry.js';
import { num, posInt, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

export interface ProgressiveResizeOptions {
  /** Side (px) of the views for the first `rampStart` of training. */
  startSize: number;
  /** Side (px) at the end of the ramp and after: the size the pipeline makes. */
  endSize: number;
  /** Fraction of training (0–1) where the ramp begins. Default 0. */
  rampStart?: number;
  /** Fraction of training (0–1) where the ramp reaches `endSize`. Default 0.85. */
  rampEnd?: number;
  /** Sizes on the ramp are rounded down to a multiple of this (px). Default 4. */
  step?: number;
}

/**
 * The view side at `fraction` (0–1) of training: `startSize` until `rampStart`, linear to `endSize`
 * at `rampEnd`, rounded down to a multiple of `step` (never below `startSize`), `endSize` after.
 */
export function progressiveSize(o: ProgressiveResizeOptions, fraction: number): number {
  const { startSize, endSize } = o;
  const rampStart = o.rampStart ?? 0;
  const rampEnd = o.rampEnd ?? 0.85;
  const step = o.step ?? 4;
  if (fraction >= rampEnd) return endSize;
  if (fraction <= rampStart) return startSize;
  const t = (fraction - rampStart) / (rampEnd - rampStart);
  const size = Math.floor((startSize + t * (endSize - startSize)) / step) * step;
  return Math.min(endSize, Math.max(startSize, size));
}

/**
 * Seconds per iteration at any side between the smallest and largest of `timed` ([side px,
 * seconds] pairs): a timed side's own value, another interpolated linearly in side² between its
 * timed neighbours (the convolutions and element-wise kernels scale with the pixels; the loader,
 * optimizer and per-step overhead do not), the end values outside the timed range.
 */
export function sizeSecondsModel(timed: readonly (readonly [number, number])[]): (size: number) => number {
  if (timed.length === 0) throw new RangeError('sizeSecondsModel: no timed sizes');
  const sorted = [...timed].sort((a, b) => a[0] - b[0]);
  const exact = new Map(sorted.map(([s, c]) => [s, c]));
  return (size) => {
    const hit = exact.get(size);
    if (hit !== undefined) return hit;
    const hi = sorted.findIndex(([s]) => s > size);
    if (hi === 0) return sorted[0][1];
    if (hi < 0) return sorted[sorted.length - 1][1];
    const [s0, c0] = sorted[hi - 1];
    const [s1, c1] = sorted[hi];
    return c0 + ((c1 - c0) * (size ** 2 - s0 ** 2)) / (s1 ** 2 - s0 ** 2);
  };
}

/**
 * Sets the runner's input scale before every iteration from `progressiveSize` at the fraction of
 * training done (iteration / maxIters), and back to 1 when the run ends. Views are `(N, C, H, W)`.
 */
export class ProgressiveResizeHook extends Hook {
  // Before any hook that reads the input size (none today); the order among the rest does not matter.
  override priority: number = PRIORITY.VERY_HIGH;

  constructor(readonly options: ProgressiveResizeOptions) {
    super();
  }

  override beforeTrainIter(runner: RunnerView): void {
    const { iter, maxIters } = runner.progress;
    const size = progressiveSize(this.options, maxIters > 0 ? iter / maxIters : 1);
    runner.setInputScale(size / this.options.endSize);
  }

  override afterRun(runner: RunnerView): void {
    runner.setInputScale(1);
  }
}

const fraction = () => num().refine((v) => v >= 0 && v <= 1, 'expected a fraction of training in [0, 1]');

/** `ProgressiveResizeHook`'s options, checked. */
export const progressiveResizeSchema = z
  .strictObject({
    startSize: posInt(),
    endSize: posInt(),
    rampStart: fraction().optional(),
    rampEnd: fraction().optional(),
    step: posInt().optional(),
  })
  .refine((o) => o.startSize <= o.endSize, { error: 'startSize must not exceed endSize', path: ['startSize'] })
  .refine((o) => (o.rampStart ?? 0) < (o.rampEnd ?? 0.85), { error: 'rampStart must come before rampEnd', path: ['rampEnd'] });

/** `ProgressiveResizeHook` in HOOKS (`customHooks: [{ type: 'ProgressiveResizeHook', startSize: 16, endSize: 32 }]`). */
export const progressiveResizeHookPart = definePart({
  registry: HOOKS,
  name: 'ProgressiveResizeHook',
  schema: progressiveResizeSchema,
  description: 'trains on smaller views first and ramps up to the full size (FFCV progressive resizing)',
  build: (o) => new ProgressiveResizeHook(o),
});
