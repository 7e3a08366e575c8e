/**
 * Reading and writing converted checkpoints: `.pth` (PyTorch's zip pickle) or `.safetensors`, by
 * extension, in the wrapper each library expects — a bare state dict (selfsup, torchvision, timm),
 * MMEngine's `{ meta, state_dict }` with `backbone.` keys (MMSelfSup, mmpretrain), detectron2's
 * `{ model, __author__, matching_heuristics }` (as its convert-torchvision-to-detectron2 writes).
 */
import { existsSync } from 'node:fs';
import * as torch from '@selfsup/torch';
import type { StateValue, Tensor } from '@selfsup/torch';
import { unwrapStateDict } from '../models/backbones/load.js';
import type { Format } from './layouts.js';

export interface ReadCheckpoint {
  /** Backbone tensors, without `backbone.`/`module.` prefixes. */
  backbone: Record<string, Tensor>;
  /** Tensors outside `backbone.` in an algorithm/classifier checkpoint (neck, head), with their names. */
  others: Record<string, Tensor>;
  /** Whether the file said what wrote it: MMEngine's `backbone.` prefix, detectron2's `__author__`. */
  hint: 'mm' | 'detectron2' | null;
}

const isRecord = (v: unknown): v is Record<string, StateValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !('handle' in (v as object));

/** Loads `path` and splits its tensors into backbone and the rest (see `ReadCheckpoint`). */
export function readCheckpoint(path: string): ReadCheckpoint {
  if (!existsSync(path)) throw new Error(`checkpoint '${path}' does not exist`);
  let obj: StateValue;
  try {
    obj = torch.load(path);
  } catch (e) {
    throw new Error(
      `checkpoint '${path}' could not be read as ${path.endsWith('.safetensors') ? 'safetensors' : 'a PyTorch .pth'}: ${(e as Error).message}`,
    );
  }
  if (!isRecord(obj)) throw new Error(`checkpoint '${path}' holds no state dict (a ${Array.isArray(obj) ? 'list' : typeof obj})`);
  const hint = '__author__' in obj || 'matching_heuristics' in obj ? 'detectron2' : null;
  let flat = unwrapStateDict(obj, '');
  // DDP's prefix on every key.
  const keys = Object.keys(flat);
  if (keys.length > 0 && keys.every((k) => k.startsWith('module.')))
    flat = Object.fromEntries(Object.entries(flat).map(([k, v]) => [k.slice('module.'.length), v]));
  if (Object.keys(flat).length === 0) throw new Error(`checkpoint '${path}' holds no tensors`);
  if (!Object.keys(flat).some((k) => k.startsWith('backbone.'))) return { backbone: flat, others: {}, hint };
  const backbone: Record<string, Tensor> = {};
  const others: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(flat)) {
    if (k.startsWith('backbone.')) backbone[k.slice('backbone.'.length)] = v;
    else others[k] = v;
  }
  return { backbone, others, hint: 'mm' };
}

/**
 * Writes `backbone` (already in `format`'s names) and `others` (kept non-backbone keys, full names)
 * to `path` in `format`'s wrapper; safetensors holds the flat keys and says the format in its metadata.
 */
export function writeCheckpoint(
  path: string,
  format: Format,
  backbone: Record<string, Tensor>,
  others: Record<string, Tensor>,
  source: string,
): void {
  const mm = format === 'mmselfsup' || format === 'mmpretrain';
  const sd: Record<string, Tensor> = mm
    ? Object.fromEntries(Object.entries(backbone).map(([k, v]) => [`backbone.${k}`, v]))
    : { ...backbone };
  Object.assign(sd, others);
  if (path.endsWith('.safetensors')) {
    torch.save(sd, path, { metadata: { format, converted_by: 'selfsup convert', source } });
    return;
  }
  let obj: StateValue = sd;
  if (mm) obj = { meta: { converted_by: 'selfsup convert', source }, state_dict: sd };
  // detectron2 matches these short names to its model's `backbone.bottom_up.*` by suffix.
  if (format === 'detectron2') obj = { model: sd, __author__: 'selfsup', matching_heuristics: true };
  torch.save(obj, path);
}
