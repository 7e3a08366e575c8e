/**
 * The zip container of PyTorch's `.pth` files: a reader (central directory, zip64, stored or
 * deflated entries, every entry's CRC-32 checked) and a streaming writer of stored entries with data aligned to 64 bytes,
 * as PyTorch's own writer does so that loaders may mmap tensor data.
 */
import { writeSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** The entry's bytes: a zero-copy view for stored entries. */
  data(): Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether the bytes start like a zip archive. */
export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/**
 * Reads the central directory of a zip archive and checks every entry's CRC-32 against it, as
 * Python's `zipfile.testzip` does: a flipped bit anywhere in an entry's data is refused here,
 * naming the entry, instead of loading as silently wrong weights.
 */
export function readZip(buf: Uint8Array, source: string): Map<string, ZipEntry> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (why: string): never => {
    throw new Error(`${source}: not a readable zip archive (${why}); the file may be truncated or corrupt`);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== ZIP64_LOCATOR) fail('zip64 locator missing');
    const rec = Number(dv.getBigUint64(loc + 8, true));
    if (rec + 56 > buf.length || dv.getUint32(rec, true) !== ZIP64_EOCD) fail('zip64 record missing');
    count = Number(dv.getBigUint64(rec + 32, true));
    cdOffset = Number(dv.getBigUint64(rec + 48, true));
  }
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== CENTRAL) fail(`bad central directory entry ${n}`);
    const method = dv.getUint16(p + 10, true);
    // The central directory's CRC, not the local header's: writers that stream (flag bit 3) leave the latter 0.
    const storedCrc = dv.getUint32(p + 16, true);
    let compSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 8-byte values present are those whose 4-byte field is saturated.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(dv.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;
    if (localOffset + 30 > buf.length || dv.getUint32(localOffset, true) !== LOCAL) fail(`bad local header for ${name}`);
    const start = localOffset + 30 + dv.getUint16(localOffset + 26, true) + dv.getUint16(localOffset + 28, true);
    if (start + compSize > buf.length) fail(`entry ${name} runs past the end of the file`);
    const raw = buf.subarray(start, start + compSize);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw;
    else if (method === 8) {
      try {
        bytes = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        return fail(`entry ${name} does not inflate: ${(err as Error).message}`);
      }
      if (bytes.length !== size) fail(`entry ${name} inflated to ${bytes.length} bytes, expected ${size}`);
    } else {
      const unsupported = method;
      entries.set(name, { name, data: () => fail(`entry ${name} uses compression method ${unsupported}`) });
      continue;
    }
    const actual = crc32(bytes) >>> 0;
    if (actual !== storedCrc) {
      throw new Error(
        `${source}: entry ${name} is corrupt (CRC-32 ${hex(actual)}, the archive records ${hex(storedCrc)}); ` +
          'the file was damaged on disk or in transfer: restore it from a good copy',
      );
    }
    const data = bytes;
    entries.set(name, { name, data: () => data });
  }
  return entries;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Writes a zip of stored entries straight to a file descriptor, one entry at a time. */
export class ZipWriter {
  private offset = 0;
  private readonly central: Buffer[] = [];
  private count = 0;

  constructor(private readonly fd: number) {}

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    this.offset += b.length;
  }

  add(name: string, data: Uint8Array, align = 64): void {
    const nameBytes = Buffer.from(name, 'utf8');
    const headerEnd = this.offset + 30 + nameBytes.length;
    // Pad with an extra field so the data starts on an `align`-byte boundary.
    let pad = (align - ((headerEnd + 4) % align)) % align;
    if (align <= 1) pad = -4;
    const extra = Buffer.alloc(pad + 4 >= 4 ? pad + 4 : 0);
    if (extra.length) {
      extra.writeUInt16LE(0x4246, 0); // 'FB', as PyTorch's writer
      extra.writeUInt16LE(pad, 2);
    }
    if (this.offset > 0xfffffffe || data.length > 0xfffffffe) {
      throw new Error(`zip writer: ${name} is past 4 GiB; archives this large are not supported`);
    }
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localOffset = this.offset;
    this.write(local);
    this.write(nameBytes);
    if (extra.length) this.write(extra);
    this.write(data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(CENTRAL, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt32LE(localOffset, 42);
    this.central.push(c, nameBytes);
    this.count++;
  }

  finish(): void {
    const cdStart = this.offset;
    for (const b of this.central) this.write(b);
    const e = Buffer.alloc(22);
    e.writeUInt32LE(EOCD, 0);
    e.writeUInt16LE(this.count, 8);
    e.writeUInt16LE(this.count, 10);
    e.writeUInt32LE(this.offset - cdStart, 12);
    e.writeUInt32LE(cdStart, 16);
    this.write(e);
  }
}
