/**
 * IDX files (MNIST, Fashion-MNIST): a big-endian header — two zero bytes, a type code, the
 * number of dims, one uint32 per dim — then the data. gzip-compressed files are read too.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  /** Row-major uint8 data (the only element type MNIST-style datasets use). */
  data: Uint8Array;
}

/** Reads an IDX file of unsigned bytes (type 0x08); `.gz` or raw. */
export function readIdx(path: string): IdxArray {
  let buf: Uint8Array = readFileSync(path);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${path}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new Error(`${path}: IDX element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const ndim = buf[3];
  if (buf.length < 4 + 4 * ndim) throw new Error(`${path}: IDX header truncated`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start !== n) {
    throw new Error(
      `${path}: IDX data holds ${buf.length - start} bytes, the header's shape [${shape}] needs ${n} (truncated file?)`,
    );
  }
  return { shape, data: buf.subarray(start) };
}
