/**
 * The neck interface: a module between backbone and head that maps the backbone's list of
 * outputs (`(N, C, H, W)` maps or ViT tokens) to a list of feature tensors (`(N, D)` vectors, or
 * DenseCL's dense grids), as MMSelfSup's necks do. The type lives with the registries (`NECKS`
 * builds a `Neck`); it is re-exported here for the modules that name it from the necks.
 */
export type { Neck } from '../registries.js';
