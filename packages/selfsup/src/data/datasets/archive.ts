/**
 * Synchronous reading of `.tar` and `.tar.gz` archives (ustar, GNU long names, pax paths), so
 * config builders can open archived datasets without a promise. A plain `.tar` is indexed by
 * reading its headers only and members are read on demand; a gzipped one is inflated into memory
 * once (small datasets: CIFAR, archives of a few hundred MB of images).
 */
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface TarMember {
  /** Path inside the archive, without a leading `./`. */
  name: string;
  /** Byte offset of the data in the (uncompressed) archive. */
  offset: number;
  size: number;
}

/** Largest archive inflated into memory. */
const MAX_INFLATED = 2 ** 31 - 1;

const BLOCK = 512;

function cString(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
}

/** Octal size field, or GNU base-256 when the top bit is set. */
function sizeField(b: Uint8Array): number {
  if (b[124] & 0x80) {
    let v = 0;
    for (let i = 125; i < 136; i++) v = v * 256 + b[i];
    return v;
  }
  const s = cString(b, 124, 12).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

/** `path=` from a pax extended header's `"<len> key=value\n"` records. */
function paxPath(data: Uint8Array): string | null {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let path: string | null = null;
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    const len = Number.parseInt(text.slice(i, sp), 10);
    if (sp < 0 || !(len > 0)) break;
    const rec = text.slice(sp + 1, i + len - 1);
    if (rec.startsWith('path=')) path = rec.slice(5);
    i += len;
  }
  return path;
}

/** Indexes the regular files of a tar stream given a reader of its bytes. */
function scan(read: (pos: number, len: number) => Uint8Array, total: number, source: string): TarMember[] {
  const out: TarMember[] = [];
  let pos = 0;
  let longName: string | null = null;
  while (pos + BLOCK <= total) {
    const h = read(pos, BLOCK);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== Number.parseInt(cString(h, 148, 8).trim(), 8))
      throw new Error(`${source}: not a tar archive, or corrupt at byte ${pos} (header checksum mismatch)`);
    const size = sizeField(h);
    const type = String.fromCharCode(h[156] || 48);
    const dataAt = pos + BLOCK;
    if (dataAt + size > total) throw new Error(`${source}: truncated archive (member at byte ${pos} runs past the end)`);
    const magic = cString(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? cString(h, 345, 155) : '';
    let name = prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100);
    if (type === 'L') longName = cString(read(dataAt, size), 0, size);
    else if (type === 'x') longName = paxPath(read(dataAt, size)) ?? longName;
    else {
      if (longName !== null) name = longName;
      longName = null;
      if (type === '0' || type === '7') out.push({ name: name.replace(/^(\.\/)+/, ''), offset: dataAt, size });
    }
    pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/**
 * The name of the first file or folder in the first bytes of a tar stream (after pax and GNU
 * long-name headers), or null if they do not hold one: enough to recognise an archive's layout.
 */
export function firstTarMember(bytes: Uint8Array): string | null {
  let pos = 0;
  let longName: string | null = null;
  while (pos + BLOCK <= bytes.length) {
    const h = bytes.subarray(pos, pos + BLOCK);
    if (h.every((x) => x === 0)) return null;
    const size = sizeField(h);
    const type = String.fromCharCode(h[156] || 48);
    const data = bytes.subarray(pos + BLOCK, pos + BLOCK + size);
    if (type === 'L') longName = cString(data, 0, data.length);
    else if (type === 'x') longName = paxPath(data) ?? longName;
    else if (type !== 'g') {
      const prefix = cString(h, 257, 6).startsWith('ustar') ? cString(h, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100));
      return name.replace(/^(\.\/)+/, '');
    }
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return null;
}

/** An opened archive: its member list and random access to members. */
export class TarArchive {
  private constructor(
    readonly path: string,
    readonly members: TarMember[],
    private readonly readAt: (pos: number, len: number) => Uint8Array,
    private readonly fd: number | null,
  ) {}

  /** Indexes `path` (gzip detected by its magic bytes, not its name). */
  static open(path: string): TarArchive {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`${path}: cannot open archive (${(e as Error).message})`);
    }
    const size = fstatSync(fd).size;
    const magic = Buffer.alloc(2);
    readSync(fd, magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      const gz = Buffer.allocUnsafe(size);
      let done = 0;
      while (done < size) done += readSync(fd, gz, done, size - done, done);
      closeSync(fd);
      let raw: Buffer;
      try {
        raw = gunzipSync(gz, { maxOutputLength: MAX_INFLATED });
      } catch (e) {
        const m = (e as Error).message;
        throw new Error(
          /maxOutputLength|Cannot create a Buffer/.test(m)
            ? `${path}: inflates to more than 2 GiB; extract it first (tar -xzf) and use the folder`
            : `${path}: corrupt gzip data (${m})`,
        );
      }
      const read = (pos: number, len: number) => raw.subarray(pos, pos + len);
      return new TarArchive(path, scan(read, raw.length, path), read, null);
    }
    const read = (pos: number, len: number) => {
      const b = Buffer.allocUnsafe(len);
      let done = 0;
      while (done < len) {
        const n = readSync(fd, b, done, len - done, pos + done);
        if (n === 0) throw new Error(`${path}: unexpected end of archive at byte ${pos + done}`);
        done += n;
      }
      return b;
    };
    try {
      return new TarArchive(path, scan(read, size, path), read, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** A member's bytes. */
  read(m: TarMember): Uint8Array {
    return this.readAt(m.offset, m.size);
  }

  /** A member's bytes without blocking (a plain `.tar` is read on libuv's thread pool). */
  readAsync(m: TarMember): Promise<Uint8Array> {
    const fd = this.fd;
    if (fd === null) return Promise.resolve(this.readAt(m.offset, m.size));
    return new Promise((resolve, reject) => {
      const b = Buffer.allocUnsafe(m.size);
      read(fd, b, 0, m.size, m.offset, (e, n) => {
        if (e) reject(new Error(`${this.path}: cannot read ${m.name} (${e.message})`));
        else if (n !== m.size) reject(new Error(`${this.path}: short read of ${m.name}`));
        else resolve(b);
      });
    });
  }

  /** Releases the file of a plain `.tar` (gzipped archives hold no file). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}

/** Member name → bytes for the members whose name passes `want`. */
export function readTarSync(path: string, want: (name: string) => boolean): Map<string, Uint8Array> {
  const tar = TarArchive.open(path);
  try {
    return new Map(tar.members.filter((m) => want(m.name)).map((m) => [m.name, new Uint8Array(tar.read(m))]));
  } finally {
    tar.close();
  }
}
