/**
 * Multi-crop forward passes (SwAV, Caron et al. 2020, arXiv:2006.09882; DINO, Caron et al. 2021):
 * views of one resolution are concatenated and go through the backbone together, so a batch of
 * 2 large + 6 small crops costs two backbone calls. Views `(N, C, H, W)`; groups follow the view
 * order, split wherever the size changes (as MMSelfSup's `unique_consecutive` of the widths).
 */
import * as torch from '@selfsup/torch';
import { type Tensor, tidy } from '@selfsup/torch';
import type { Backbone } from '../backbones/base.js';

/** Runs of consecutive views with the same `(H, W)`: `[start, end)` index pairs. */
export function resolutionGroups(views: Tensor[]): [number, number][] {
  const groups: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= views.length; i++) {
    const same = i < views.length && views[i].shape[2] === views[start].shape[2] && views[i].shape[3] === views[start].shape[3];
    if (!same) {
      groups.push([start, i]);
      start = i;
    }
  }
  return groups;
}

/**
 * The backbone's output for each resolution group: `[(n_g·N, C, h_g, w_g)]` (or tokens), rows
 * ordered view by view. The backbone must have one output (one `outIndices` entry).
 */
export function multiCropFeatures(backbone: Backbone, views: Tensor[]): Tensor[] {
  return tidy(() =>
    resolutionGroups(views).map(([s, e]) => {
      const x = e - s === 1 ? views[s] : torch.cat(views.slice(s, e));
      const out = backbone.forward(x);
      if (out.length !== 1)
        throw new RangeError(`multi-crop: expected one backbone output (one outIndices entry), got ${out.length}`);
      return out[0];
    }),
  );
}
