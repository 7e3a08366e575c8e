/**
 * The neck interfaces: a `FeatureNeck` maps the backbone's list of outputs (`(N, C, H, W)` maps or
 * ViT tokens) to a list of feature tensors (`(N, D)` vectors, or DenseCL's dense grids), as
 * MMSelfSup's necks do; a `Neck` is any module between backbone and head (masked-image-modelling
 * decoders take their own inputs). The types live with the registries (`NECKS` builds a `Neck`);
 * they are re-exported here for the modules that name them from the necks.
 */
export type { FeatureNeck, Neck } from '../registries.js';
