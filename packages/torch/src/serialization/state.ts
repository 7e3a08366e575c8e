/** The values a checkpoint holds: tensors inside nested records and arrays of plain data. */
import type { Tensor } from '../tensor.js';

export type StateValue = Tensor | number | bigint | string | boolean | null | StateValue[] | { [key: string]: StateValue };
export type StateDict = { [key: string]: StateValue };

/** Flattens nested records to dotted keys (`{ a: { b: t } }` → `{ 'a.b': t }`). */
export function flattenState(v: StateValue, prefix = '', out: Map<string, StateValue> = new Map()): Map<string, StateValue> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !('handle' in v)) {
    for (const [k, e] of Object.entries(v)) flattenState(e, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, v);
  }
  return out;
}
