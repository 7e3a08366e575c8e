/** The global batch shared by the distributed loss check and its single-process reference. */
import * as torch from '@selfsup/torch';
import { pseudo } from '../../helpers.js';

export const WORLD = 2;
export const PER_RANK = 3;

/** Projections of view 1 and view 2 for all `WORLD · PER_RANK` samples, float64. */
export function globalBatch(): { z1: torch.Tensor; z2: torch.Tensor } {
  const n = WORLD * PER_RANK;
  return {
    z1: torch.tensor(pseudo([n, 4], 101) as number[][], { dtype: 'float64' }),
    z2: torch.tensor(pseudo([n, 4], 102) as number[][], { dtype: 'float64' }),
  };
}
