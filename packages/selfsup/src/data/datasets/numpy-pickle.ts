/**
 * Reads the pickles of Python-format datasets (CIFAR's `data_batch_1`, …): dicts of lists and
 * numpy uint8 arrays, from Python 2 or 3. Nothing is executed: numpy arrays arrive as inert
 * `PickledObject`s (`numpy.core.multiarray._reconstruct` plus its BUILD state) and are decoded here.
 */
import { PickledObject, unpickle } from '@selfsup/torch';

export interface NumpyArray {
  shape: number[];
  data: Uint8Array;
}

const CODECS = (s: unknown) => Uint8Array.from(String(s), (c) => c.charCodeAt(0));

/** Unpickles `bytes`; `bytes` and Python 2 strings used as data become Uint8Array where numpy needs them. */
export function loadDatasetPickle(bytes: Uint8Array, source: string): Record<string, unknown> {
  const obj = unpickle(bytes, {
    source,
    resolve: (module, name) => (module === '_codecs' && name === 'encode' ? CODECS : undefined),
    unknownGlobals: 'inert',
  });
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${source}: expected a pickled dict`);
  return obj as Record<string, unknown>;
}

/** A uint8 numpy array from its pickled form. */
export function numpyUint8(v: unknown, what: string): NumpyArray {
  if (!(v instanceof PickledObject) || v.global !== 'numpy.core.multiarray._reconstruct')
    throw new Error(`${what}: not a pickled numpy array`);
  const state = v.state as unknown[];
  if (!Array.isArray(state) || state.length < 5) throw new Error(`${what}: unexpected numpy array state`);
  const [, shape, dtype, fortran, raw] = state as [unknown, number[], PickledObject, boolean, Uint8Array | string];
  if (!(dtype instanceof PickledObject) || dtype.args[0] !== 'u1')
    throw new Error(`${what}: expected a uint8 array, got dtype ${dtype instanceof PickledObject ? String(dtype.args[0]) : '?'}`);
  if (fortran) throw new Error(`${what}: Fortran-ordered arrays are not supported`);
  const data = typeof raw === 'string' ? CODECS(raw) : raw;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!(data instanceof Uint8Array) || data.length !== n)
    throw new Error(`${what}: array data holds ${data?.length} bytes, shape [${shape}] needs ${n}`);
  return { shape: [...shape], data };
}
