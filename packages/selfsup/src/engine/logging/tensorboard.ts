/**
 * TensorBoard event files written without TensorFlow: TFRecord framing with masked CRC-32C
 * checksums around `Event` protocol-buffer messages, encoded by a small hand-written encoder.
 * The field numbers follow tensorboard/compat/proto/{event,summary,tensor,tensor_shape}.proto.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli), as TFRecord uses it.

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // 0x82F63B78 is the Castagnoli polynomial 0x1EDC6F41 bit-reversed (the LSB-first form).
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `data`: init and final XOR 0xFFFFFFFF, reflected; `crc32c("123456789") = 0xE3069283`. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * TFRecord's masked CRC: a CRC stored next to the data it covers is rotated and offset, so that
 * a CRC of a string that itself contains CRCs stays well distributed.
 */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data (all little-endian). */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Protocol-buffer wire format: only the field kinds the event protos need.

enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

/** Appends protobuf fields to a growing list of chunks; `finish()` concatenates them. */
class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  private key(field: number, wire: Wire): void {
    this.varintRaw(field * 8 + wire);
  }

  private varintRaw(v: number): void {
    // Numbers up to 2^53 cover every step and size here; division keeps exactness past 2^32.
    const bytes: number[] = [];
    let x = v;
    while (x >= 0x80) {
      bytes.push((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    bytes.push(x);
    this.chunks.push(Buffer.from(bytes));
  }

  /** A non-negative int32/int64 field (negative values are never written by this module). */
  varint(field: number, v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`protobuf varint field ${field}: ${v} is not a safe non-negative integer`);
    this.key(field, Wire.Varint);
    this.varintRaw(v);
    return this;
  }

  double(field: number, v: number): this {
    this.key(field, Wire.Fixed64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.chunks.push(b);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, Wire.Fixed32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, Wire.Bytes);
    this.varintRaw(v.length);
    this.chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

// Field numbers of the TensorBoard protos.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, image: 4, tensor: 8, metadata: 9 } as const;
const IMAGE = { height: 1, width: 2, colorspace: 3, encoded: 4 } as const;
const METADATA = { pluginData: 1 } as const;
const PLUGIN_DATA = { pluginName: 1, content: 2 } as const;
const TENSOR = { dtype: 1, shape: 2, stringVal: 8 } as const;
const SHAPE = { dim: 2 } as const;
const DIM = { size: 1 } as const;
const DT_STRING = 7;

function eventBytes(wallTime: number, step: number, fill: (e: ProtoWriter) => void): Buffer {
  const e = new ProtoWriter().double(EVENT.wallTime, wallTime);
  // proto3 omits default values; TensorBoard reads a missing step as 0.
  if (step !== 0) e.varint(EVENT.step, step);
  fill(e);
  return e.finish();
}

function summaryEvent(wallTime: number, step: number, values: ProtoWriter[]): Buffer {
  return eventBytes(wallTime, step, (e) => {
    const s = new ProtoWriter();
    for (const v of values) s.message(SUMMARY.value, v);
    e.message(EVENT.summary, s);
  });
}

// ---------------------------------------------------------------------------------------------

/** Options of {@link SummaryWriter}; defaults as PyTorch's `SummaryWriter(max_queue=10, flush_secs=120)`. */
export interface SummaryWriterOptions {
  /** Events buffered in memory before they are appended to the file. Default 10. */
  maxQueue?: number;
  /** Seconds after which the next added event triggers a flush. Default 120. */
  flushSecs?: number;
  /** Appended to the file name (PyTorch's `filename_suffix`). Default ''. */
  filenameSuffix?: string;
}

/**
 * Writes TensorBoard event files (`events.out.tfevents.<unix-time>.<hostname>.<pid>`) into
 * `logDir`, readable by `tensorboard --logdir` and `tf.data.TFRecordDataset`, as PyTorch's
 * `torch.utils.tensorboard.SummaryWriter` does. Events are buffered and appended with fsync on
 * `flush()`; calls after `close()` are ignored rather than thrown, so a logger hook that outlives
 * its writer during shutdown never turns a finished run into a failure.
 */
export class SummaryWriter {
  /** Path of the event file being written. */
  readonly path: string;
  private fd: number | undefined;
  private queue: Buffer[] = [];
  private lastFlush = Date.now();
  private readonly maxQueue: number;
  private readonly flushMs: number;

  constructor(
    readonly logDir: string,
    opts: SummaryWriterOptions = {},
  ) {
    this.maxQueue = Math.max(1, opts.maxQueue ?? 10);
    this.flushMs = (opts.flushSecs ?? 120) * 1000;
    mkdirSync(logDir, { recursive: true });
    const base = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}${opts.filenameSuffix ?? ''}`;
    // Two writers opened in the same second by one process would otherwise share a file.
    let name = base;
    for (let i = 1; existsSync(join(logDir, name)); i++) name = `${base}.${i}`;
    this.path = join(logDir, name);
    this.fd = openSync(this.path, 'a');
    this.queue.push(tfRecord(eventBytes(Date.now() / 1000, 0, (e) => e.string(EVENT.fileVersion, 'brain.Event:2'))));
    this.flush();
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Logs one scalar (stored as float32, TensorBoard's `simple_value`). `wallTime` in unix seconds. */
  addScalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.addScalars({ [tag]: value }, step, { wallTime });
  }

  /**
   * Logs every numeric entry of `record` as a scalar at `step`, in one event; entries that are not
   * numbers are skipped. Tags are `prefix + key` (e.g. prefix `'train/'`). Unlike PyTorch's
   * `add_scalars`, which writes one sub-run per key, this writes plain tags into this run.
   */
  addScalars(record: Record<string, unknown>, step: number, opts: { prefix?: string; wallTime?: number } = {}): void {
    const values: ProtoWriter[] = [];
    for (const [k, v] of Object.entries(record)) {
      if (typeof v !== 'number') continue;
      values.push(new ProtoWriter().string(VALUE.tag, `${opts.prefix ?? ''}${k}`).float(VALUE.simpleValue, v));
    }
    if (values.length > 0) this.push(summaryEvent(opts.wallTime ?? Date.now() / 1000, step, values));
  }

  /** Logs an encoded PNG (its pixel size given) as a `Summary.Image` with RGBA colourspace. */
  addImage(tag: string, png: Uint8Array, step: number, size: { width: number; height: number }, wallTime?: number): void {
    const img = new ProtoWriter()
      .varint(IMAGE.height, size.height)
      .varint(IMAGE.width, size.width)
      .varint(IMAGE.colorspace, 4)
      .bytes(IMAGE.encoded, png);
    this.push(
      summaryEvent(wallTime ?? Date.now() / 1000, step, [new ProtoWriter().string(VALUE.tag, tag).message(VALUE.image, img)]),
    );
  }

  /**
   * Logs text (Markdown) for TensorBoard's text plugin: a DT_STRING tensor of shape [1] whose
   * summary metadata names plugin "text" (an empty `TextPluginData`, version 0).
   */
  addText(tag: string, text: string, step: number, wallTime?: number): void {
    const pluginData = new ProtoWriter().string(PLUGIN_DATA.pluginName, 'text').bytes(PLUGIN_DATA.content, new Uint8Array(0));
    const tensor = new ProtoWriter()
      .varint(TENSOR.dtype, DT_STRING)
      .message(TENSOR.shape, new ProtoWriter().message(SHAPE.dim, new ProtoWriter().varint(DIM.size, 1)))
      .string(TENSOR.stringVal, text);
    const value = new ProtoWriter()
      .string(VALUE.tag, tag)
      .message(VALUE.metadata, new ProtoWriter().message(METADATA.pluginData, pluginData))
      .message(VALUE.tensor, tensor);
    this.push(summaryEvent(wallTime ?? Date.now() / 1000, step, [value]));
  }

  /** Appends the buffered events to the file and fsyncs it. No-op on a closed writer. */
  flush(): void {
    if (this.fd === undefined) return;
    if (this.queue.length > 0) {
      const buf = Buffer.concat(this.queue);
      this.queue = [];
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    }
    fsyncSync(this.fd);
    this.lastFlush = Date.now();
  }

  /** Flushes and closes the file; later calls of any method do nothing. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private push(record: Buffer): void {
    if (this.fd === undefined) return;
    this.queue.push(tfRecord(record));
    if (this.queue.length >= this.maxQueue || Date.now() - this.lastFlush >= this.flushMs) this.flush();
  }
}
