/** Data types: PyTorch's names, libtorch's c10::ScalarType codes, element sizes, typed arrays. */

export type DType =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'complex64'
  | 'complex128'
  | 'bool'
  | 'bfloat16';

/** c10::ScalarType enum values (stable since PyTorch 1.0). */
export const DTYPE_CODE: Readonly<Record<DType, number>> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  complex64: 9,
  complex128: 10,
  bool: 11,
  bfloat16: 15,
};

const CODE_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));

export const ITEM_SIZE: Readonly<Record<DType, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
  complex64: 8,
  complex128: 16,
  bool: 1,
  bfloat16: 2,
};

/** Aliases accepted wherever a dtype is taken (PyTorch's spellings). */
const ALIASES: Record<string, DType> = {
  float: 'float32',
  double: 'float64',
  half: 'float16',
  long: 'int64',
  int: 'int32',
  short: 'int16',
  byte: 'uint8',
  char: 'int8',
  cfloat: 'complex64',
  cdouble: 'complex128',
};

export function toDType(d: DType | string): DType {
  if (d in DTYPE_CODE) return d as DType;
  const a = ALIASES[d];
  if (a) return a;
  throw new TypeError(`unknown dtype '${d}'; expected one of ${Object.keys(DTYPE_CODE).join(', ')}`);
}

export function dtypeCode(d: DType | string): number {
  return DTYPE_CODE[toDType(d)];
}

export function dtypeFromCode(code: number): DType {
  const d = CODE_DTYPE.get(code);
  if (!d) throw new TypeError(`libtorch returned an unsupported scalar type code ${code}`);
  return d;
}

export function isFloatingPoint(d: DType): boolean {
  return d === 'float16' || d === 'float32' || d === 'float64' || d === 'bfloat16';
}

export function isComplex(d: DType): boolean {
  return d === 'complex64' || d === 'complex128';
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array;

/** The typed array a dtype's elements are read into; float16/bfloat16 widen to float32. */
export function typedArrayFor(d: DType, buf: ArrayBuffer): TypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int8':
      return new Int8Array(buf);
    case 'int16':
      return new Int16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buf);
    default:
      throw new TypeError(`no typed array for dtype ${d}`);
  }
}

/** The dtype a typed array holds. */
export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`unsupported typed array ${a.constructor.name}`);
}

export type MemoryFormat = 'contiguous' | 'preserve' | 'channelsLast' | 'channelsLast3d';
export const MEMORY_FORMAT_CODE: Readonly<Record<MemoryFormat, number>> = {
  contiguous: 0,
  preserve: 1,
  channelsLast: 2,
  channelsLast3d: 3,
};
