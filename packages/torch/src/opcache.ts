/** Operator ids resolved once per schema name and cached: the hot path passes an integer. */
import { native, type OpInfo } from './native.js';

// Two-level map: the hot path looks up (name, overload) without building a key string.
const ids = new Map<string, Map<string, number>>();
const infos = new Map<string, OpInfo>();

/** The schema info of `aten::name.overload` (throws if this libtorch lacks it). */
export function opInfo(name: string, overload = ''): OpInfo {
  const key = overload ? `${name}.${overload}` : name;
  let info = infos.get(key);
  if (!info) {
    info = native.resolveOp(name, overload);
    infos.set(key, info);
    let m = ids.get(name);
    if (!m) ids.set(name, (m = new Map()));
    m.set(overload, info.id);
  }
  return info;
}

/** The integer id of `aten::name.overload`, resolved on first use. */
export function opId(name: string, overload = ''): number {
  const id = ids.get(name)?.get(overload);
  return id === undefined ? opInfo(name, overload).id : id;
}

/** Whether this libtorch has the operator (some exist only in 2.x, some only in 1.13). */
const missing = new Set<string>();

export function hasOp(name: string, overload = ''): boolean {
  const key = `${name}.${overload}`;
  if (missing.has(key)) return false;
  try {
    opInfo(name, overload);
    return true;
  } catch {
    // Cached: callers ask on hot paths (attention checks for the 2.x fused op on every call).
    missing.add(key);
    return false;
  }
}
