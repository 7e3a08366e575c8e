/**
 * Loads a checkpoint into a backbone whatever wrapped it: a bare state dict, `{ state_dict }`
 * (MMEngine/MMSelfSup), `{ model }` (timm/DeiT), with `backbone.`/`module.`/`encoder.` prefixes
 * (MMSelfSup algorithms, DDP, some SSL repos), in the backbone's own names or another library's it
 * knows (`Backbone.adaptStateDict`: MMSelfSup/mmcls ViT keys). Keys that are not the backbone's (a
 * classifier `fc.*`/`head.*`, an SSL neck) are reported, not loaded.
 */
import type { nn, StateValue, Tensor } from '@selfsup/torch';
import { Backbone } from './base.js';

const WRAPPERS = ['state_dict', 'model', 'module'];
const PREFIXES = ['backbone.', 'module.', 'encoder.', 'model.'];

/** The flat tensor record inside a loaded checkpoint, with wrapper prefixes removed. */
export function unwrapStateDict(ckpt: StateValue, prefix?: string): Record<string, Tensor> {
  let sd = ckpt as Record<string, StateValue>;
  for (const w of WRAPPERS) {
    const inner = sd?.[w];
    if (inner && typeof inner === 'object' && !Array.isArray(inner) && !('handle' in inner)) {
      sd = inner as Record<string, StateValue>;
      break;
    }
  }
  const entries = Object.entries(sd).filter(([, v]) => v !== null && typeof v === 'object' && 'handle' in v) as [
    string,
    Tensor,
  ][];
  const want = prefix ?? PREFIXES.find((p) => entries.filter(([k]) => k.startsWith(p)).length > entries.length / 2);
  if (!want) return Object.fromEntries(entries);
  return Object.fromEntries(entries.filter(([k]) => k.startsWith(want)).map(([k, v]) => [k.slice(want.length), v]));
}

/**
 * Copies matching weights into `model`. Keys the model lacks are returned as `unexpectedKeys`
 * (not an error: heads and necks are expected there); missing keys throw unless `strict: false`.
 */
export function loadBackboneWeights(
  model: nn.AnyModule,
  ckpt: StateValue,
  opts: { prefix?: string; strict?: boolean } = {},
): nn.LoadStateDictResult {
  const raw = unwrapStateDict(ckpt, opts.prefix);
  const sd = model instanceof Backbone ? model.adaptStateDict(raw) : raw;
  const own = model.stateDict();
  const mine = Object.fromEntries(Object.entries(sd).filter(([k]) => k in own));
  const res = model.loadStateDict(mine, { strict: opts.strict ?? true });
  return { ...res, unexpectedKeys: Object.keys(sd).filter((k) => !(k in own)) };
}
