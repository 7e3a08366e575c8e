/**
 * The neck interface: a module between backbone and head that maps the backbone's list of
 * outputs (`(N, C, H, W)` maps or ViT tokens) to a list of feature tensors (`(N, D)` vectors, or
 * DenseCL's dense grids), as MMSelfSup's necks do.
 */
import type { nn, Tensor } from '@selfsup/torch';
import { type Builder, NECKS, type RegisterOptions } from '../../registry.js';

/** A neck: backbone outputs in, feature list out. */
export type Neck = nn.Module<[Tensor[]], Tensor[]>;

/**
 * Builds a neck from its config through the NECKS registry. The registry is typed for
 * single-tensor modules, so the list-in/list-out signature is restored here, in one place.
 */
export function buildNeck<N extends Neck = Neck>(cfg: unknown, path: string): N {
  return NECKS.build(cfg, path) as unknown as N;
}

/** Registers a neck builder in NECKS (see `buildNeck` on the signature). */
export function registerNeck(name: string, builder: Builder<Neck>, options: RegisterOptions): void {
  NECKS.register(name, builder as unknown as Builder<nn.Module>, options);
}
