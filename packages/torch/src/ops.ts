/**
 * Every ATen operator, typed or not: `torch.ops.aten.<name>.<overload>(…)` calls one overload,
 * `torch.ops.aten.<name>(…)` picks the first overload whose schema fits the arguments (like
 * PyTorch's OpOverloadPacket), and `torch.ops.call('aten::name.overload', …)` reaches operators
 * added after the generated types were made. A trailing plain object holds keyword arguments,
 * camelCase or snake_case. Schemas are read from this libtorch's dispatcher at run time, so the
 * arguments always match the linked libtorch.
 */
import { dtypeCode, MEMORY_FORMAT_CODE, type MemoryFormat } from './dtype.js';
import type { AtenOps } from './gen/aten.js';
import { native, type NativeValue, type OpArgInfo, type OpInfo } from './native.js';
import { opInfo } from './opcache.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isKwargs(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype && !('float' in x);
}

function convertArg(a: OpArgInfo, v: unknown, op: string): unknown {
  if (v === undefined || v === null) return v;
  if (v instanceof Tensor) return v.handle;
  if (v instanceof Generator) return v.id;
  if (Array.isArray(v)) return v.map((e) => (e instanceof Tensor ? e.handle : e));
  if (typeof v === 'string') {
    if (a.kind === 'ScalarType') return dtypeCode(v);
    if (a.kind === 'MemoryFormat') {
      const code = MEMORY_FORMAT_CODE[v as MemoryFormat];
      if (code === undefined) throw new TypeError(`${op}: unknown memory format '${v}'`);
      return code;
    }
  }
  return v;
}

function wrapReturn(v: NativeValue, type: string): unknown {
  if (v === null || v === undefined) return v;
  if (type === 'Tensor' || type === 'Tensor?') return new Tensor(v as number);
  if (type === 'Tensor[]' || type === 'List[Tensor]') return (v as number[]).map((h) => new Tensor(h));
  return v;
}

/** Calls one resolved overload with JS arguments (Tensors, numbers, arrays, a kwargs object). */
export function callOverload(info: OpInfo, name: string, args: unknown[]): unknown {
  let positional = args;
  let kwargs: Record<string, unknown> = {};
  if (args.length > 0 && isKwargs(args[args.length - 1])) {
    positional = args.slice(0, -1);
    kwargs = args[args.length - 1] as Record<string, unknown>;
  }
  if (positional.length > info.args.length) {
    throw new TypeError(
      `${name}: takes at most ${info.args.length} arguments, got ${positional.length} (schema: ${info.schema})`,
    );
  }
  const native_args: unknown[] = new Array(info.args.length);
  const known = new Set<string>();
  for (let i = 0; i < info.args.length; i++) {
    const a = info.args[i];
    known.add(a.name);
    let v: unknown = i < positional.length ? positional[i] : undefined;
    if (v === undefined) {
      const camel = a.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      v = kwargs[a.name] ?? kwargs[camel];
    }
    native_args[i] = convertArg(a, v, name);
  }
  for (const k of Object.keys(kwargs)) {
    if (!known.has(k) && !known.has(snake(k)))
      throw new TypeError(`${name}: unexpected keyword argument '${k}' (schema: ${info.schema})`);
  }
  const out = native.call(info.id, ...native_args);
  const writeArgs = info.args.map((a, i) => (a.isWrite ? i : -1)).filter((i) => i >= 0);
  let w = 0;
  const one = (v: NativeValue, r: OpInfo['returns'][number]): unknown => {
    if (r.isWrite) {
      const idx = writeArgs[Math.min(w++, writeArgs.length - 1)];
      return idx < positional.length ? positional[idx] : kwargs[info.args[idx].name];
    }
    return wrapReturn(v, r.type);
  };
  if (info.returns.length === 0) return undefined;
  if (info.returns.length === 1) return one(out, info.returns[0]);
  return (out as NativeValue[]).map((v, i) => one(v, info.returns[i]));
}

let overloadTable: Map<string, string[]> | undefined;

/** Overload names of `ns::name` in this libtorch, default ('') first. */
export function overloadsOf(qualified: string): string[] {
  if (!overloadTable) {
    overloadTable = new Map();
    for (const full of native.listOps()) {
      const dot = full.indexOf('.', full.indexOf('::') + 2);
      const base = dot < 0 ? full : full.slice(0, dot);
      const ov = dot < 0 ? '' : full.slice(dot + 1);
      const list = overloadTable.get(base) ?? [];
      list.push(ov);
      overloadTable.set(base, list);
    }
    for (const list of overloadTable.values()) list.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
  }
  return overloadTable.get(qualified) ?? [];
}

function fits(a: OpArgInfo, v: unknown): boolean {
  if (v === undefined) return a.hasDefault || a.optional;
  if (v === null) return a.optional;
  switch (a.kind) {
    case 'Tensor':
      return v instanceof Tensor;
    case 'Tensor[]':
      return Array.isArray(v) && v.every((e) => e instanceof Tensor);
    case 'Tensor?[]':
      return Array.isArray(v) && v.every((e) => e === null || e instanceof Tensor);
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'int[]':
      return (Array.isArray(v) && v.every((e) => Number.isInteger(e))) || Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'float[]':
      return Array.isArray(v) && v.every((e) => typeof e === 'number');
    case 'Scalar':
      return typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'object' && v !== null && 'float' in v);
    case 'bool':
      return typeof v === 'boolean';
    case 'bool[]':
      return Array.isArray(v) || typeof v === 'boolean';
    case 'str':
    case 'Device':
    case 'ScalarType':
    case 'MemoryFormat':
      return typeof v === 'string' || (a.kind !== 'str' && a.kind !== 'Device' && typeof v === 'number');
    case 'Generator':
      return v instanceof Generator;
    default:
      return true;
  }
}

/** Calls `ns::name` choosing the first overload that accepts the arguments. */
export function callPacket(qualified: string, args: unknown[]): unknown {
  const overloads = overloadsOf(qualified);
  if (overloads.length === 0) throw new TypeError(`unknown operator ${qualified}`);
  const positional = args.length > 0 && isKwargs(args[args.length - 1]) ? args.slice(0, -1) : args;
  const kwargs = positional.length < args.length ? (args[args.length - 1] as Record<string, unknown>) : {};
  const tried: string[] = [];
  for (const ov of overloads) {
    if (ov === 'out' || ov.endsWith('_out')) continue;
    const info = opInfo(qualified, ov);
    if (positional.length > info.args.length) continue;
    const ok = info.args.every((a, i) => {
      if (i < positional.length) return fits(a, positional[i]);
      const camel = a.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const kv = kwargs[a.name] ?? kwargs[camel];
      return fits(a, kv);
    });
    if (ok) return callOverload(info, `${qualified}.${ov}`, args);
    tried.push(info.schema);
  }
  throw new TypeError(`${qualified}: no overload accepts these arguments. Overloads:\n  ${tried.join('\n  ')}`);
}

/** `torch.ops.call('aten::add.Tensor', a, b, { alpha: 2 })`. */
export function callByName(qualified: string, ...args: unknown[]): unknown {
  const ns = qualified.includes('::') ? qualified : `aten::${qualified}`;
  const dot = ns.indexOf('.', ns.indexOf('::') + 2);
  if (dot < 0) return callPacket(ns, args);
  const base = ns.slice(0, dot);
  const ov = ns.slice(dot + 1);
  return callOverload(opInfo(base, ov === 'default' ? '' : ov), ns, args);
}

function namespaceProxy(ns: string): unknown {
  const packets = new Map<string, unknown>();
  return new Proxy(
    {},
    {
      get(_t, name) {
        if (typeof name !== 'string') return undefined;
        let p = packets.get(name);
        if (!p) {
          const qualified = `${ns}::${name}`;
          const fn = (...args: unknown[]) => callPacket(qualified, args);
          const overloads = new Map<string, unknown>();
          p = new Proxy(fn, {
            get(target, ov) {
              if (typeof ov !== 'string') return Reflect.get(target, ov);
              if (ov === 'default') ov = '';
              let f = overloads.get(ov);
              if (!f) {
                const info = opInfo(qualified, ov);
                f = (...args: unknown[]) => callOverload(info, `${qualified}${ov ? `.${ov}` : ''}`, args);
                overloads.set(ov, f);
              }
              return f;
            },
          });
          packets.set(name, p);
        }
        return p;
      },
    },
  );
}

export interface Ops {
  aten: AtenOps;
  /** Any registered operator by schema name (`'aten::add.Tensor'`, or a package's own ops). */
  call(qualified: string, ...args: unknown[]): unknown;
  /** Every operator name this libtorch's dispatcher knows. */
  list(): string[];
}

export const ops: Ops = {
  aten: namespaceProxy('aten') as AtenOps,
  call: callByName,
  list: () => native.listOps(),
};
