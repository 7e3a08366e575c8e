/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping names
 * to `{ dtype, shape, data_offsets }` (plus optional `__metadata__` of strings), padded with
 * spaces to 8 bytes, then the raw little-endian tensor bytes. Readable by Python's safetensors.
 *
 * Files written here carry the CRC-32 of their data section in `__metadata__` (key
 * `DATA_CRC32_KEY`), checked on load when present; files from elsewhere, without it, load as
 * before. CRC-32 rather than SHA-256: the aim is to catch bit rot and truncated copies, not
 * tampering (anyone who can alter the data can rewrite the header), and zlib's CRC-32 runs at
 * several GB/s, so checking costs a small fraction of reading; it is also what `.pth` zips use.
 */
import { readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { type DType, ITEM_SIZE } from '../dtype.js';
import { fromBytes } from '../creation.js';
import { Tensor } from '../tensor.js';
import { writeAtomic } from './atomic.js';

const TO_ST: Partial<Record<DType, string>> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  complex64: 'C64',
};
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));

/** The `__metadata__` key holding the data section's CRC-32 as 8 lower-case hex digits. */
export const DATA_CRC32_KEY = 'selfsup.data_crc32';
// Eight bytes reserved in the header for the checksum's hex digits, overwritten in place once the
// data has streamed past: the checksum is then known without a second pass over (or a copy of) the tensors.
const CRC_RESERVED = '########';

/**
 * Writes a flat record of tensors; `metadata` becomes the string map `__metadata__`, to which the
 * data section's CRC-32 is added under `DATA_CRC32_KEY`.
 */
export function saveFile(tensors: Record<string, Tensor>, path: string, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`safetensors metadata '${k}' must be a string`);
    if (k === DATA_CRC32_KEY) continue; // recomputed below: a copied-over value would describe other data
    meta[k] = v;
  }
  meta[DATA_CRC32_KEY] = CRC_RESERVED;
  header.__metadata__ = meta;
  // Larger alignments first keeps every tensor aligned to its element size, as the reference writer does.
  const names = Object.keys(tensors).sort((a, b) => {
    const d = ITEM_SIZE[tensors[b].dtype] - ITEM_SIZE[tensors[a].dtype];
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new TypeError(`safetensors: '${name}' is not a tensor`);
    const dt = TO_ST[t.dtype];
    if (!dt) throw new TypeError(`safetensors: '${name}' has dtype ${t.dtype}, which safetensors cannot hold`);
    const n = t.numel() * ITEM_SIZE[t.dtype];
    header[name] = { dtype: dt, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const hbytes = Buffer.from(json, 'utf8');
  const crcAt = 8 + hbytes.indexOf(`"${DATA_CRC32_KEY}":"${CRC_RESERVED}"`) + DATA_CRC32_KEY.length + 4;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.length));
  writeAtomic(path, (fd) => {
    const put = (b: Uint8Array, at?: number) => {
      let done = 0;
      while (done < b.length) done += writeSync(fd, b, done, b.length - done, at === undefined ? null : at + done);
    };
    put(len);
    put(hbytes);
    let crc = 0;
    for (const name of names) {
      const bytes = tensors[name].toBytes();
      crc = crc32(bytes, crc);
      put(bytes);
    }
    put(Buffer.from(crcHex(crc), 'ascii'), crcAt);
  });
}

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Reads a safetensors file, validating the header against the file size before any copy. */
export function loadFile(path: string): SafetensorsContents {
  const buf = readFileSync(path);
  return loadBytes(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function loadBytes(buf: Uint8Array, source = 'safetensors'): SafetensorsContents {
  const bad = (why: string): never => {
    throw new Error(`${source}: invalid safetensors file: ${why}`);
  };
  if (buf.length < 8) bad('shorter than its 8-byte header length');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > 100_000_000 || 8 + n > buf.length) bad(`header length ${n} exceeds the file (${buf.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    return bad(`header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const data = buf.subarray(8 + n);
  // The checksum is the container's business, not the caller's: it is checked here and not returned.
  const { [DATA_CRC32_KEY]: recorded, ...metadata } = (header.__metadata__ ?? {}) as Record<string, string>;
  if (recorded !== undefined) {
    const actual = crcHex(crc32(data));
    if (recorded !== actual) {
      bad(
        `data section is corrupt (CRC-32 ${actual}, the header records ${recorded} under '${DATA_CRC32_KEY}'); ` +
          'the file was damaged on disk or in transfer: restore it from a good copy (if another tool rewrote the ' +
          `tensors and copied selfsup's metadata, remove '${DATA_CRC32_KEY}' from it)`,
      );
    }
  }
  const tensors: Record<string, Tensor> = {};
  try {
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: off } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const dt = FROM_ST[dtype];
      if (!dt) bad(`tensor '${name}' has unsupported dtype '${dtype}'`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor '${name}' has a bad shape`);
      if (!Array.isArray(off) || off.length !== 2 || !(off[0] >= 0 && off[1] >= off[0] && off[1] <= data.length)) {
        bad(`tensor '${name}' has data_offsets ${JSON.stringify(off)} outside the ${data.length}-byte data section`);
      }
      const expected = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dt];
      if (off[1] - off[0] !== expected)
        bad(`tensor '${name}' of shape [${shape}] ${dtype} needs ${expected} bytes, has ${off[1] - off[0]}`);
      tensors[name] = fromBytes(data.subarray(off[0], off[1]), dt, shape);
    }
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  return { tensors, metadata };
}

function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
