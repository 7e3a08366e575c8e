/**
 * A pickle virtual machine for the data PyTorch checkpoints hold (protocols 2–5), and a
 * protocol-2 writer. It never executes code: a GLOBAL names a callable, and only an allow-list
 * of names is given meaning (tensor rebuilding, OrderedDict, …). Any other global is refused
 * with an error naming it, or, when the caller asks, turned into an inert `PickledObject`.
 */

/** An object of a class outside the allow-list, kept as data (never instantiated). */
export class PickledObject {
  constructor(
    readonly global: string,
    readonly args: unknown[],
    public state: unknown = undefined,
  ) {}
}

/** A Python tuple read from a pickle (JS arrays stand for lists). */
export class PickledTuple extends Array<unknown> {}

export type GlobalResolver = (module: string, name: string) => ((...args: unknown[]) => unknown) | undefined;

export interface UnpickleOptions {
  /** Resolves allowed globals; undefined means "not allowed". */
  resolve: GlobalResolver;
  /** Handles BINPERSID (storages in `.pth` files). */
  persistentLoad?: (pid: unknown) => unknown;
  /** `'error'` (default) refuses unknown globals; `'inert'` keeps them as `PickledObject`s. */
  unknownGlobals?: 'error' | 'inert';
  source: string;
}

class Reader {
  pos = 0;
  private readonly dv: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly source: string,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`${this.source}: pickle data ends early (truncated file?)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.dv.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }
  f64be(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  line(): string {
    const start = this.pos;
    while (this.pos < this.buf.length && this.buf[this.pos] !== 0x0a) this.pos++;
    this.need(1);
    const s = new TextDecoder().decode(this.buf.subarray(start, this.pos));
    this.pos++;
    return s;
  }
}

/**
 * Python 2 `str` (BINSTRING) as a JS string with one char per byte. (WHATWG's 'latin1' decoder is
 * really windows-1252 and would change bytes 0x80–0x9F.)
 */
function latin1(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) out += String.fromCharCode(...b.subarray(i, i + 8192));
  return out;
}

function longFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function setItem(target: unknown, key: unknown, value: unknown, source: string): void {
  if (target instanceof Map) {
    target.set(key, value);
  } else if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
    (target as Record<string, unknown>)[String(key)] = value;
  } else {
    throw new Error(`${source}: SETITEM on a non-dict`);
  }
}

/** Runs the pickle program in `data` and returns the object it builds. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const r = new Reader(data, opts.source);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new Error(`${opts.source}: pickle MARK missing`);
    return stack.splice(m);
  };
  const top = () => stack[stack.length - 1];
  const global = (module: string, name: string): unknown => {
    const fn = opts.resolve(module, name);
    if (fn) return fn;
    const full = `${module}.${name}`;
    if (opts.unknownGlobals === 'inert') return { __inertGlobal: full };
    throw new Error(
      `${opts.source}: refusing to load global '${full}': only tensors, containers, numbers and strings are allowed ` +
        "(pass { unknownGlobals: 'inert' } to keep such objects as inert data)",
    );
  };
  const apply = (fn: unknown, args: unknown[]): unknown => {
    if (typeof fn === 'function') return fn(...args);
    if (fn && typeof fn === 'object' && '__inertGlobal' in fn)
      return new PickledObject((fn as { __inertGlobal: string }).__inertGlobal, args);
    throw new Error(`${opts.source}: REDUCE on something that is not a callable global`);
  };
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x80: // PROTO
        r.u8();
        break;
      case 0x95: // FRAME
        r.u64();
        break;
      case 0x2e: // STOP
        return stack.pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({});
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickledTuple());
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(r.i32());
        break;
      case 0x4b: // BININT1
        stack.push(r.u8());
        break;
      case 0x4d: // BININT2
        stack.push(r.u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(r.bytes(r.u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFromBytes(r.bytes(r.u32())));
        break;
      case 0x47: // BINFLOAT
        stack.push(r.f64be());
        break;
      case 0x58: // BINUNICODE
        stack.push(new TextDecoder().decode(r.bytes(r.u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(new TextDecoder().decode(r.bytes(r.u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(new TextDecoder().decode(r.bytes(r.u64())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(r.bytes(r.i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(r.bytes(r.u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(r.bytes(r.u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(r.bytes(r.u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(r.bytes(r.u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(r.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(r.u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? r.u8() : r.u32();
        if (!memo.has(k)) throw new Error(`${opts.source}: pickle memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x74: // TUPLE
        stack.push(PickledTuple.from(popMark()));
        break;
      case 0x85:
        stack.push(PickledTuple.from(stack.splice(-1)));
        break;
      case 0x86:
        stack.push(PickledTuple.from(stack.splice(-2)));
        break;
      case 0x87:
        stack.push(PickledTuple.from(stack.splice(-3)));
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = {};
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1], opts.source);
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = stack.pop();
        (top() as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new Error(`${opts.source}: APPENDS on a non-list`);
        for (const v of items) list.push(v);
        break;
      }
      case 0x90: {
        // ADDITEMS (sets, kept as arrays)
        const items = popMark();
        (top() as unknown[]).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = stack.pop();
        const k = stack.pop();
        setItem(top(), k, v, opts.source);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1], opts.source);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = r.line();
        const name = r.line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = stack.pop() as string;
        const module = stack.pop() as string;
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = stack.pop() as unknown[];
        const fn = stack.pop();
        stack.push(apply(fn, [...args]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = stack.pop() as unknown[];
        const cls = stack.pop();
        stack.push(apply(cls, [...args]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = stack.pop();
        const obj = top();
        if (obj instanceof PickledObject) obj.state = state;
        else if (obj && typeof obj === 'object' && state && typeof state === 'object' && !Array.isArray(obj)) {
          // OrderedDict / plain objects: BUILD merges attribute state; PyTorch uses it for _metadata.
          if (!(state instanceof PickledTuple)) Object.assign(obj as object, state);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = stack.pop();
        if (!opts.persistentLoad) throw new Error(`${opts.source}: persistent id without a loader`);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        throw new Error(`${opts.source}: unsupported pickle opcode 0x${op.toString(16)} at byte ${r.pos - 1}`);
    }
  }
}

/** A global reference written by `PickleWriter.global`. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** A call written as `REDUCE`: `fn(*args)` in the reader. */
export class PickleReduce {
  constructor(
    readonly fn: PickleGlobal,
    readonly args: unknown[],
  ) {}
}

/** A tuple in the written pickle (JS arrays are written as lists). */
export class PickleTupleOut {
  constructor(readonly items: unknown[]) {}
}

/** A persistent id (BINPERSID), e.g. a tensor storage reference. */
export class PicklePersistent {
  constructor(readonly id: PickleTupleOut) {}
}

/** A float that must stay a float in Python even when integral (`1.0`). */
export class PickleFloat {
  constructor(readonly value: number) {}
}

/** Protocol-2 pickle writer for plain data plus the few constructs `.pth` files need. */
export class PickleWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  private op(...bytes: number[]): void {
    this.push(Uint8Array.from(bytes));
  }
  private str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(b.length, 1);
    this.push(h);
    this.push(b);
  }
  private int(v: number | bigint): void {
    if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
      const h = Buffer.alloc(5);
      h[0] = 0x4a;
      h.writeInt32LE(v, 1);
      this.push(h);
      return;
    }
    let x = BigInt(v);
    const bytes: number[] = [];
    for (;;) {
      bytes.push(Number(x & 0xffn));
      const next = x >> 8n;
      const sign = (bytes[bytes.length - 1] & 0x80) !== 0;
      if ((next === 0n && !sign) || (next === -1n && sign)) break;
      x = next;
    }
    this.op(0x8a, bytes.length, ...bytes);
  }
  private float(v: number): void {
    const h = Buffer.alloc(9);
    h[0] = 0x47;
    h.writeDoubleBE(v, 1);
    this.push(h);
  }

  value(v: unknown): void {
    if (v === null || v === undefined) this.op(0x4e);
    else if (v === true) this.op(0x88);
    else if (v === false) this.op(0x89);
    else if (typeof v === 'number') Number.isInteger(v) ? this.int(v) : this.float(v);
    else if (typeof v === 'bigint') this.int(v);
    else if (typeof v === 'string') this.str(v);
    else if (v instanceof PickleFloat) this.float(v.value);
    else if (v instanceof PickleGlobal) {
      this.push(Buffer.from(`c${v.module}\n${v.name}\n`, 'utf8'));
    } else if (v instanceof PickleReduce) {
      this.value(v.fn);
      this.value(new PickleTupleOut(v.args));
      this.op(0x52);
    } else if (v instanceof PickleTupleOut) {
      if (v.items.length === 0) this.op(0x29);
      else {
        this.op(0x28);
        for (const e of v.items) this.value(e);
        this.op(0x74);
      }
    } else if (v instanceof PicklePersistent) {
      this.value(v.id);
      this.op(0x51);
    } else if (Array.isArray(v)) {
      this.op(0x5d);
      if (v.length > 0) {
        this.op(0x28);
        for (const e of v) this.value(e);
        this.op(0x65);
      }
    } else if (v instanceof Map) {
      this.op(0x7d);
      if (v.size > 0) {
        this.op(0x28);
        for (const [k, e] of v) {
          this.value(k);
          this.value(e);
        }
        this.op(0x75);
      }
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      this.op(0x7d);
      if (entries.length > 0) {
        this.op(0x28);
        for (const [k, e] of entries) {
          // Integer-like keys are written as ints: PyTorch's optimizer state is keyed by param index.
          this.value(/^(0|[1-9]\d{0,14})$/.test(k) ? Number(k) : k);
          this.value(e);
        }
        this.op(0x75);
      }
    } else {
      throw new TypeError(`cannot pickle a value of type ${typeof v}`);
    }
  }

  /** The whole program: PROTO 2, the value, STOP. */
  static dumps(v: unknown): Uint8Array {
    const w = new PickleWriter();
    w.op(0x80, 2);
    w.value(v);
    w.op(0x2e);
    const out = new Uint8Array(w.size);
    let o = 0;
    for (const c of w.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
