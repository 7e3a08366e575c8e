/**
 * A decoded-uint8 cache for small datasets: every image is decoded once and stored in one file
 * (a JSON index of shapes and offsets, then the raw `(H, W, C)` bytes), reused across epochs and
 * runs, and rebuilt when the source changes (the key covers every file's path, size and mtime).
 * A damaged cache file is rebuilt, never trusted.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@selfsup/torch';
import { makeImage, type Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

/** A dataset whose source files can be fingerprinted (ImageFolder, ImageList). */
export interface FingerprintedDataset extends Dataset {
  fingerprint(): Promise<string>;
}

interface Entry {
  offset: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

const MAGIC = 'selfsup-decoded-cache-v1';

export class CachedDataset implements Dataset {
  private constructor(
    readonly source: Dataset,
    private readonly blob: Uint8Array,
    private readonly entries: Entry[],
    readonly fromCache: boolean,
    readonly file: string,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  get labels(): ArrayLike<number> | null {
    return this.source.labels;
  }

  get classes(): string[] | undefined {
    return this.source.classes;
  }

  /** Opens the cache for `source` in `dir`, building (or rebuilding) it when needed. */
  static async open(source: FingerprintedDataset, dir: string, o: { concurrency?: number } = {}): Promise<CachedDataset> {
    const key = createHash('sha256')
      .update(await source.fingerprint())
      .digest('hex')
      .slice(0, 32);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `decoded-${key}.bin`);
    const cached = CachedDataset.tryRead(source, file);
    if (cached) return cached;
    return CachedDataset.build(source, file, o.concurrency ?? 8);
  }

  private static tryRead(source: Dataset, file: string): CachedDataset | null {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      return null;
    }
    try {
      const headerLen = buf.readUInt32LE(0);
      const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as {
        magic: string;
        entries: Entry[];
        bytes: number;
      };
      const blob = new Uint8Array(buf.buffer, buf.byteOffset + 4 + headerLen, buf.length - 4 - headerLen);
      if (header.magic !== MAGIC || header.entries.length !== source.length || blob.length !== header.bytes)
        throw new Error('size mismatch');
      for (const e of header.entries)
        if (e.offset + e.height * e.width * e.channels > blob.length) throw new Error('entry out of range');
      return new CachedDataset(source, blob, header.entries, true, file);
    } catch (e) {
      console.warn(`selfsup: ignoring damaged decoded cache ${file} (${(e as Error).message}); rebuilding it`);
      return null;
    }
  }

  private static async build(source: Dataset, file: string, concurrency: number): Promise<CachedDataset> {
    const images: Uint8Array[] = new Array(source.length);
    const entries: Entry[] = new Array(source.length);
    let next = 0;
    const worker = async () => {
      while (next < source.length) {
        const i = next++;
        const s = await source.get(i);
        images[i] = s.img.data;
        entries[i] = { offset: 0, height: s.img.height, width: s.img.width, channels: s.img.channels };
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, source.length) }, worker));
    let offset = 0;
    for (let i = 0; i < entries.length; i++) {
      entries[i].offset = offset;
      offset += images[i].length;
    }
    const blob = new Uint8Array(offset);
    for (let i = 0; i < images.length; i++) blob.set(images[i], entries[i].offset);
    const header = Buffer.from(JSON.stringify({ magic: MAGIC, entries, bytes: offset }), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    // Atomic like checkpoints: a crash mid-write leaves no half cache behind.
    torch.writeFileAtomic(file, (fd: number) => {
      for (const b of [len, header, blob]) {
        let done = 0;
        while (done < b.length) done += writeSync(fd, b, done, b.length - done);
      }
    });
    return new CachedDataset(source, blob, entries, false, file);
  }

  async get(idx: number): Promise<Sample> {
    checkIndex(this, idx);
    const e = this.entries[idx];
    const img = makeImage(
      this.blob.subarray(e.offset, e.offset + e.height * e.width * e.channels),
      e.width,
      e.height,
      e.channels,
    );
    const labels = this.source.labels;
    return labels ? { img, label: labels[idx], idx } : { img, idx };
  }

  describe(): string {
    return `Cached(${this.source.describe()})`;
  }
}
