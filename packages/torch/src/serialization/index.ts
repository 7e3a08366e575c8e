/**
 * `torch.save(obj, path)` / `torch.load(path)`, by extension: `.safetensors` (flat tensors;
 * nested records are flattened to dotted keys) or `.pth`/`.pt`/`.ckpt`/`.bin` (PyTorch's zip
 * pickle, any nesting of tensors, numbers, strings, booleans, nulls, arrays and records).
 * Writes are atomic: a crash never leaves a half-written file at `path`.
 */
import { Tensor } from '../tensor.js';
import { type LoadOptions, loadPth, savePth } from './pth.js';
import { loadFile, saveFile } from './safetensors.js';
import { flattenState, type StateDict, type StateValue } from './state.js';

export type { StateDict, StateValue };

function isSafetensors(path: string): boolean {
  return path.endsWith('.safetensors');
}

export function save(obj: StateValue, path: string, opts: { metadata?: Record<string, string> } = {}): void {
  if (isSafetensors(path)) {
    const flat = flattenState(obj);
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of flat) {
      if (!(v instanceof Tensor)) {
        throw new TypeError(
          `save ${path}: safetensors holds tensors only, but '${k || '<root>'}' is ${v === null ? 'null' : typeof v}; use .pth or opts.metadata`,
        );
      }
      tensors[k] = v;
    }
    saveFile(tensors, path, opts.metadata);
    return;
  }
  savePth(obj, path);
}

/** Loads a checkpoint; a `.safetensors` file gives its flat record of tensors. */
export function load(path: string, opts: LoadOptions = {}): StateValue {
  if (isSafetensors(path)) return loadFile(path).tensors;
  return loadPth(path, opts) as StateValue;
}
