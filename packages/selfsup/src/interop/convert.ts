/**
 * Converts a backbone state dict between libraries' layouts (see layouts.ts): detects the family and
 * the source layout from the keys, renames through selfsup's own names, and says what it dropped.
 * Tensors are `Record<string, Tensor>` after wrappers and `backbone.` prefixes are removed (io.ts).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { renameKey } from '../models/backbones/key-rules.js';
import { gridRelativePositionIndex } from '../models/backbones/relative-position.js';
import { type Arch, type Direction, type Format, type Layout, layoutOf, OUR_KEYS } from './layouts.js';

/** A key that fits no layout, or one the target cannot hold; the message names the keys. */
export class ConvertError extends Error {}

const list = (keys: string[], n = 8) => keys.slice(0, n).join(', ') + (keys.length > n ? `, … (${keys.length} in all)` : '');

/** The backbone family of a state dict, from its keys (any layout). */
export function detectArch(keys: string[]): Arch {
  if (keys.some((k) => k.includes('relative_position_bias_table'))) return 'swin';
  if (keys.some((k) => /^(layer[1-4]\.|res[2-5]\.|stem\.conv1\.)/.test(k))) return 'resnet';
  if (
    keys.some((k) => /^(cls_token|class_token|pos_embed|encoder\.pos_embedding|blocks\.\d+\.attn\.qkv|layers\.\d+\.ln1)/.test(k))
  )
    return 'vit';
  throw new ConvertError(`keys fit no known backbone (ResNet, ViT, Swin): ${list(keys)}`);
}

/**
 * The layout a backbone state dict (already without `backbone.`) is in. Where several libraries
 * share one layout (torchvision, timm and selfsup ResNets; timm and selfsup ViTs; mmpretrain and
 * selfsup Swins) the first of them is named: converting from any of them is the same.
 */
export function detectFormat(keys: string[], arch: Arch): Format {
  const has = (re: RegExp) => keys.some((k) => re.test(k));
  if (arch === 'resnet') return has(/^(stem\.conv1\.|res[2-5]\.)/) ? 'detectron2' : 'torchvision';
  if (arch === 'vit') {
    if (has(/^(encoder\.layers\.|class_token$|conv_proj\.)/)) return 'torchvision';
    if (has(/^(layers\.\d+\.|patch_embed\.projection\.)/)) return 'mmpretrain';
    return 'timm';
  }
  if (has(/^features\.\d+\./)) return 'torchvision';
  if (has(/^layers\.\d+\./)) return 'timm';
  return 'selfsup';
}

/** Swin stage count from keys in any layout (our `stages.N`, torchvision's odd `features.N`, timm's `layers.N`). */
function swinStages(keys: string[], format: Format): number {
  const re =
    format === 'torchvision'
      ? /^features\.(\d+)\.\d+\.norm1\./
      : format === 'timm'
        ? /^layers\.(\d+)\.blocks\./
        : /^stages\.(\d+)\./;
  let max = -1;
  for (const k of keys) {
    const m = re.exec(k);
    if (m) max = Math.max(max, format === 'torchvision' ? (Number(m[1]) - 1) / 2 : Number(m[1]));
  }
  return max + 1;
}

export function layoutFor(format: Format, arch: Arch, keys: string[], side: 'source' | 'ours'): Layout {
  if (arch !== 'swin') return layoutOf(format, arch);
  const numStages = swinStages(keys, side === 'ours' ? 'selfsup' : format);
  const timmOldMerge = side === 'source' && format === 'timm' && keys.some((k) => k.startsWith('layers.0.downsample.'));
  return layoutOf(format, arch, { numStages, timmOldMerge });
}

export interface ToOurs {
  ours: Record<string, Tensor>;
  /** Their non-backbone keys (classifier, neck). */
  heads: string[];
}

const apply = (l: Layout, ourKey: string, t: Tensor, dir: Direction) => (l.transform ? l.transform(ourKey, t, dir) : t);

/** Their backbone keys → ours; non-backbone keys are set aside, keys that fit nothing throw. */
export function toOurs(sd: Record<string, Tensor>, layout: Layout, arch: Arch, format: Format): ToOurs {
  const ours: Record<string, Tensor> = {};
  const heads: string[] = [];
  const unknown: string[] = [];
  for (const [k, t] of Object.entries(sd)) {
    if (layout.heads.some((h) => k.startsWith(h))) {
      heads.push(k);
      continue;
    }
    if (layout.ignore?.test(k)) continue;
    const key = renameKey(k, layout.rules) ?? (layout.passThrough ? k : null);
    if (key === null || !OUR_KEYS[arch].test(key)) unknown.push(k);
    else ours[key] = apply(layout, key, t, 'toOurs');
  }
  if (unknown.length > 0) throw new ConvertError(`keys that fit no ${format} ${arch} layout: ${list(unknown)}`);
  complete(ours, arch);
  return { ours, heads };
}

/** Adds what a layout may leave out but our backbones hold: BN batch counters, Swin's position index. */
function complete(ours: Record<string, Tensor>, arch: Arch): void {
  for (const k of Object.keys(ours)) {
    if (arch === 'resnet' && k.endsWith('.running_mean')) {
      const n = k.replace(/running_mean$/, 'num_batches_tracked');
      if (!(n in ours)) ours[n] = torch.tensor(new BigInt64Array(1), { shape: [] });
    }
    if (arch === 'swin' && k.endsWith('relative_position_bias_table')) {
      const n = k.replace(/bias_table$/, 'index');
      if (!(n in ours)) ours[n] = gridRelativePositionIndex(Math.round((Math.sqrt(ours[k].shape[0]) + 1) / 2));
    }
  }
}

export interface FromOurs {
  theirs: Record<string, Tensor>;
  /** Our keys the target leaves out (a mask token, BN batch counters). */
  dropped: string[];
}

/** Our keys → the target's; a key the target cannot hold (and may not lack) throws. */
export function fromOurs(ours: Record<string, Tensor>, layout: Layout, format: Format): FromOurs {
  const theirs: Record<string, Tensor> = {};
  const dropped: string[] = [];
  const missing: string[] = [];
  for (const [k, t] of Object.entries(ours)) {
    if (layout.omit?.test(k)) {
      dropped.push(k);
      continue;
    }
    const key = renameKey(k, layout.rules, 'backward') ?? (layout.passThrough ? k : null);
    if (key === null) missing.push(k);
    else theirs[key] = apply(layout, k, t, 'fromOurs');
  }
  if (missing.length > 0) throw new ConvertError(`${format} has no names for these keys: ${list(missing)}`);
  return { theirs, dropped };
}
