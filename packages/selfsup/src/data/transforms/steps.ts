/**
 * The kinds of step a view pipeline holds (MMSelfSup's pipeline entries). Most steps are
 * `Transform`s (one `(C, H, W)` image in, one out). Two more kinds end a pipeline:
 * - a multi-output step turns one image into several (BEiT's one crop at two sizes, RelativeLoc's
 *   nine patches, RotationPred's four turns), each becoming a view;
 * - a mask generator draws a patch mask for masked image modelling (BEiT, SimMIM), which the loader
 *   packs next to the views (what MMSelfSup's `PackSelfSupInputs(algorithm_keys=['mask'])` does).
 */
import type { Tensor } from '@selfsup/torch';
import type { PatchMask } from './masks.js';
import type { Transform } from './random.js';
import type { Rng } from './rng.js';

/** One `(C, H, W)` image in, `outputs` images out (sizes may differ between outputs). */
export interface MultiOutputTransform {
  readonly outputs: number;
  applyMulti(img: Tensor, rng: Rng): Tensor[];
  /**
   * The same for a batch `(N, C, H, W)`, sample i drawing from `rngs[i]` exactly as `applyMulti`
   * would: output k is `(N, C, H_k, W_k)`. Absent when each sample needs its own crop.
   */
  applyMultiBatch?(batch: Tensor, rngs: Rng[]): Tensor[];
}

/** Draws a `(H', W')` patch mask (1 = masked) from the sample's stream. */
export interface MaskGenerator {
  generate(rng: Rng): PatchMask;
}

export type PipelineStep = Transform | MultiOutputTransform | MaskGenerator;

export function isMaskGenerator(s: PipelineStep): s is MaskGenerator {
  return typeof (s as MaskGenerator).generate === 'function';
}

export function isMultiOutput(s: PipelineStep): s is MultiOutputTransform {
  return typeof (s as MultiOutputTransform).applyMulti === 'function';
}

export function isTransform(s: PipelineStep): s is Transform {
  return typeof (s as Transform).apply === 'function';
}
