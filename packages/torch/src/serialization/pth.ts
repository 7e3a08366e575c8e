/**
 * PyTorch's `.pth`/`.pt` format (the zip archive of `torch.save`, PyTorch ≥ 1.6): `data.pkl`
 * (a pickle whose tensors point at storages by persistent id) plus one `data/<key>` record per
 * storage. Python's `torch.load` reads what `savePth` writes; `loadPth` reads Python's files.
 */
import { readFileSync } from 'node:fs';
import { type DType, ITEM_SIZE } from '../dtype.js';
import { fromBytes } from '../creation.js';
import { Tensor } from '../tensor.js';
import { tidy } from '../scope.js';
import {
  PickledObject,
  PickledTuple,
  PickleGlobal,
  PicklePersistent,
  PickleReduce,
  PickleTupleOut,
  PickleWriter,
  unpickle,
} from './pickle.js';
import type { StateValue } from './state.js';
import { writeAtomic } from './atomic.js';
import { isZip, readZip, ZipWriter } from './zip.js';

const STORAGE_DTYPE: Record<string, DType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
};
const DTYPE_STORAGE = Object.fromEntries(Object.entries(STORAGE_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;

interface StorageRef {
  key: string;
  dtype: DType;
  bytes: Uint8Array;
}

export interface LoadOptions {
  /** `'error'` (default) refuses objects of classes outside the allow-list; `'inert'` keeps them as inert data. */
  unknownGlobals?: 'error' | 'inert';
}

/** Reads a `.pth` file into nested records of tensors and plain data. Never executes code. */
export function loadPth(path: string, opts: LoadOptions = {}): unknown {
  const buf = readFileSync(path);
  return loadPthBytes(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, opts);
}

export function loadPthBytes(buf: Uint8Array, source: string, opts: LoadOptions = {}): unknown {
  if (!isZip(buf)) {
    if (buf.length >= 2 && buf[0] === 0x80) {
      throw new Error(
        `${source}: legacy (pre-1.6 or _use_new_zipfile_serialization=False) .pth format is not supported; ` +
          're-save it in Python with torch.save(obj, path)',
      );
    }
    throw new Error(`${source}: not a PyTorch .pth file (no zip header)`);
  }
  const entries = readZip(buf, source);
  const pklName = [...entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pklName) {
    const script = [...entries.keys()].some((n) => n.endsWith('constants.pkl'));
    throw new Error(
      script
        ? `${source}: a TorchScript archive (torch.jit.save), not a torch.save checkpoint`
        : `${source}: no data.pkl record in the archive`,
    );
  }
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const storages = new Map<string, StorageRef>();
  const bases = new Map<string, Tensor>();
  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== 'storage')
      throw new Error(`${source}: unexpected persistent id ${JSON.stringify(pid)}`);
    const [, typeMarker, key] = pid as [string, { dtype: DType } | DType, string];
    const dtype = typeof typeMarker === 'string' ? typeMarker : typeMarker.dtype;
    let s = storages.get(key);
    if (!s) {
      const e = entries.get(`${prefix}data/${key}`);
      if (!e) throw new Error(`${source}: storage record data/${key} missing`);
      s = { key, dtype, bytes: e.data() };
      storages.set(key, s);
    }
    return s;
  };
  const rebuildTensor = (
    storage: StorageRef,
    offset: number,
    size: number[],
    stride: number[],
    requiresGrad?: boolean,
  ): Tensor => {
    const item = ITEM_SIZE[storage.dtype];
    if (storage.bytes.length % item !== 0) throw new Error(`${source}: storage ${storage.key} size is not a multiple of ${item}`);
    let base = bases.get(storage.key);
    if (!base) {
      base = fromBytes(storage.bytes, storage.dtype, [storage.bytes.length / item]);
      bases.set(storage.key, base);
    }
    const t = base.asStrided([...size], [...stride], offset);
    if (requiresGrad) t.requiresGrad_(true);
    return t;
  };
  const resolve = (module: string, name: string): ((...a: unknown[]) => unknown) | undefined => {
    const full = `${module}.${name}`;
    if (module === 'torch' && name in STORAGE_DTYPE)
      return Object.assign(() => STORAGE_DTYPE[name], { dtype: STORAGE_DTYPE[name] });
    switch (full) {
      case 'collections.OrderedDict':
        return () => ({});
      case 'torch._utils._rebuild_tensor_v2':
      case 'torch._utils._rebuild_tensor_v3':
        return (storage, offset, size, stride, requiresGrad) =>
          rebuildTensor(storage as StorageRef, offset as number, size as number[], stride as number[], requiresGrad as boolean);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return (data, requiresGrad) => {
          if (requiresGrad && data instanceof Tensor) data.requiresGrad_(true);
          return data;
        };
      case 'torch._tensor._rebuild_from_type_v2':
        return (fn, _type, args) => (fn as (...a: unknown[]) => unknown)(...(args as unknown[]));
      case 'torch.nn.parameter.Parameter':
      case 'torch.Tensor':
        return (...a) => a[0];
      case 'torch.device':
        return (type, index) => (index === undefined || index === null ? String(type) : `${type}:${index}`);
      case 'torch.jit._pickle.restore_type_tag':
        return (v) => v;
      case 'torch.jit._pickle.build_intlist':
      case 'torch.jit._pickle.build_doublelist':
      case 'torch.jit._pickle.build_boollist':
      case 'torch.jit._pickle.build_tensorlist':
        return (v) => v;
      case '_codecs.encode':
        return (s) => Uint8Array.from(String(s), (c) => c.charCodeAt(0));
      case 'builtins.set':
      case 'builtins.frozenset':
        return (items) => [...((items as unknown[]) ?? [])];
      default:
        return undefined;
    }
  };
  const pkl = entries.get(pklName)?.data() as Uint8Array;
  // Storage base tensors are freed with the scope: only the views built on them are returned.
  return tidy(() => normalize(unpickle(pkl, { resolve, persistentLoad, unknownGlobals: opts.unknownGlobals, source })));
}

/** Tuples become arrays; PyTorch's `_metadata` attribute of state dicts is dropped. */
function normalize(v: unknown): unknown {
  if (v instanceof Tensor || v instanceof PickledObject || v === null || typeof v !== 'object') return v;
  if (v instanceof PickledTuple || Array.isArray(v)) return Array.from(v, normalize);
  if (v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(v)) {
    if (k === '_metadata') continue;
    out[k] = normalize(e);
  }
  return out;
}

/** Writes nested records of tensors and plain data as a `.pth` that Python's `torch.load` reads. */
export function savePth(obj: StateValue, path: string): void {
  const tensors: Tensor[] = [];
  const seen = new Map<Tensor, number>();
  const ordered = new PickleGlobal('collections', 'OrderedDict');
  const convert = (v: StateValue): unknown => {
    if (v instanceof Tensor) {
      let key = seen.get(v);
      if (key === undefined) {
        key = tensors.length;
        tensors.push(v);
        seen.set(v, key);
      }
      const shape = v.shape;
      const stride = new Array<number>(shape.length);
      let acc = 1;
      for (let i = shape.length - 1; i >= 0; i--) {
        stride[i] = acc;
        acc *= shape[i];
      }
      const storage = new PicklePersistent(
        new PickleTupleOut(['storage', new PickleGlobal('torch', DTYPE_STORAGE[v.dtype]), String(key), 'cpu', v.numel()]),
      );
      return new PickleReduce(new PickleGlobal('torch._utils', '_rebuild_tensor_v2'), [
        storage,
        0,
        new PickleTupleOut(shape),
        new PickleTupleOut(stride),
        false,
        new PickleReduce(ordered, []),
      ]);
    }
    if (Array.isArray(v)) return v.map(convert);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v)) out[k] = convert(e);
      return out;
    }
    return v;
  };
  const pkl = PickleWriter.dumps(convert(obj));
  const name = 'archive';
  writeAtomic(path, (fd) => {
    const zip = new ZipWriter(fd);
    zip.add(`${name}/data.pkl`, pkl);
    zip.add(`${name}/byteorder`, Buffer.from('little'));
    for (let i = 0; i < tensors.length; i++) zip.add(`${name}/data/${i}`, tensors[i].toBytes());
    zip.add(`${name}/version`, Buffer.from('3\n'));
    zip.finish();
  });
}
