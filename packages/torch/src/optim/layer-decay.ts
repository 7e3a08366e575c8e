/**
 * Layer-wise learning-rate decay for fine-tuning Vision Transformers (Clark et al. 2020, ELECTRA,
 * arXiv:2003.10555; Bao et al. 2022, BEiT, arXiv:2106.08254; He et al. 2022, MAE,
 * arXiv:2111.06377), as MMSelfSup's `LearningRateDecayOptimWrapperConstructor` for `vit`:
 *
 * - layer id from the parameter name (under the backbone prefix, `backbone.` by default):
 *   `cls_token`, `mask_token`, `pos_embed`, `patch_embed.*` → 0; `layers.i.*` / `blocks.i.*` → i + 1;
 *   anything else (final norm, neck, head) → L + 1, with L transformer layers;
 * - lr scale = decay_rate^(L + 1 − layer_id): the head trains at the base lr, the patch embedding
 *   at decay_rate^(L+1) of it;
 * - no weight decay for one-dimensional parameters (norms, biases), `*.bias`, `pos_embed`,
 *   `cls_token` and `*.relative_position_bias_table`.
 *
 * Groups are named `layer_<id>_decay` / `layer_<id>_no_decay` and carry `lrScale` and `paramNames`.
 */
import type { AnyModule } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import type { ParamGroupInput } from './optimizer.js';

export interface LayerDecayOptions {
  /** Base learning rate (of the head). */
  lr: number;
  /** Weight decay of the decayed parameters. */
  weightDecay: number;
  /** Decay per layer (MMSelfSup's `layer_decay_rate`; 1 = no decay). */
  layerDecayRate: number;
  /** Number of transformer layers L (default: the largest `layers.i`/`blocks.i` index + 1). */
  numLayers?: number;
  /** Name prefix of the backbone (default `'backbone.'` when some parameter starts with it, else `''`). */
  prefix?: string;
}

/** A layer-decay group: `groupName` (`layer_3_decay`), `lrScale`, and the names of its parameters. */
export type LayerDecayGroup = ParamGroupInput & {
  params: Tensor[];
  lr: number;
  weightDecay: number;
  groupName: string;
  lrScale: number;
  paramNames: string[];
};

const BLOCK = /^(?:layers|blocks)\.(\d+)\./;

/** The layer id MMSelfSup's `get_layer_id_for_vit` gives `name` (L = `numLayers`). */
export function vitLayerId(name: string, numLayers: number, prefix = 'backbone.'): number {
  if (!name.startsWith(prefix)) return numLayers + 1;
  const local = name.slice(prefix.length);
  if (local === 'cls_token' || local === 'mask_token' || local === 'pos_embed') return 0;
  if (local === 'patch_embed' || local.startsWith('patch_embed.')) return 0;
  const m = BLOCK.exec(local);
  if (m) return Number(m[1]) + 1;
  return numLayers + 1;
}

/** Whether layer-wise decay leaves `name` (of a parameter with `ndim` dims) without weight decay. */
export function isNoDecayParam(name: string, ndim: number, prefix = 'backbone.'): boolean {
  return (
    ndim === 1 ||
    name.endsWith('.bias') ||
    name === `${prefix}pos_embed` ||
    name === `${prefix}cls_token` ||
    name.endsWith('.relative_position_bias_table')
  );
}

/**
 * Parameter groups with layer-wise lr decay for a ViT (`model`'s parameter names as in MMSelfSup:
 * `backbone.layers.<i>.…`; timm's `blocks.<i>.…` work too). Frozen parameters are left out.
 */
export function layerDecayGroups(model: AnyModule, opts: LayerDecayOptions): LayerDecayGroup[] {
  const named = [...model.namedParameters()];
  const prefix = opts.prefix ?? (named.some(([n]) => n.startsWith('backbone.')) ? 'backbone.' : '');
  let numLayers = opts.numLayers;
  if (numLayers === undefined) {
    numLayers = 0;
    for (const [n] of named) {
      if (!n.startsWith(prefix)) continue;
      const m = BLOCK.exec(n.slice(prefix.length));
      if (m) numLayers = Math.max(numLayers, Number(m[1]) + 1);
    }
  }
  const groups = new Map<string, LayerDecayGroup>();
  for (const [name, p] of named) {
    if (!p.requiresGrad) continue;
    const noDecay = isNoDecayParam(name, p.dim(), prefix);
    const layerId = vitLayerId(name, numLayers, prefix);
    const groupName = `layer_${layerId}_${noDecay ? 'no_decay' : 'decay'}`;
    let g = groups.get(groupName);
    if (!g) {
      const scale = opts.layerDecayRate ** (numLayers + 1 - layerId);
      g = {
        params: [],
        lr: scale * opts.lr,
        weightDecay: noDecay ? 0 : opts.weightDecay,
        groupName,
        lrScale: scale,
        paramNames: [],
      };
      groups.set(groupName, g);
    }
    g.params.push(p);
    g.paramNames.push(name);
  }
  return [...groups.values()];
}
