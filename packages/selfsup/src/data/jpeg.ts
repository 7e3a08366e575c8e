/**
 * A decoder for small baseline JPEGs (ITU T.81 sequential Huffman, 8-bit, grey or YCbCr with
 * 4:4:4, 4:2:2 or 4:2:0 sampling) that reproduces libjpeg-turbo's default output bit for bit — the
 * accurate integer IDCT (`jidctint.c`), "fancy" triangle-filter upsampling (`jdsample.c`) and the
 * table-driven YCbCr → RGB conversion (`jdcolor.c`) — so its pixels equal PIL's and sharp's. It
 * exists because starting a libvips pipeline costs ~0.5 ms per image, far more than decoding a
 * 32×32 CIFAR image. Anything else (progressive, arithmetic coding, 12-bit, CMYK, EXIF orientation,
 * ICC profiles, unusual sampling, damaged data) returns null and is left to sharp.
 */
import { type Image, makeImage } from './image.js';

/** Zig-zag order: the k-th coded coefficient's position in the natural 8×8 order. */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42,
  49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

interface Huffman {
  /** 9-bit lookahead: (length << 8) | symbol, 0 when the code is longer. */
  fast: Int32Array;
  /** Largest code of each length (1–16), −1 if none; codes above it are longer. */
  maxcode: Int32Array;
  /** Index into `symbols` of the first code of each length, minus that code. */
  valptr: Int32Array;
  symbols: Uint8Array;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Huffman | null {
  const fast = new Int32Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    valptr[len] = k - code;
    for (let i = 0; i < counts[len - 1]; i++, k++, code++) {
      if (len <= 9) {
        const shift = 9 - len;
        for (let f = code << shift; f < (code + 1) << shift; f++) fast[f] = (len << 8) | symbols[k];
      }
    }
    if (code > 1 << len) return null;
    maxcode[len] = counts[len - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { fast, maxcode, valptr, symbols };
}

class DataEnd extends Error {}

/**
 * Entropy-coded data: bits MSB first, 0xFF00 stuffing removed. At a marker the data ends: zeros
 * are fed as libjpeg does for look-ahead, but consuming them means the scan is damaged.
 */
class BitReader {
  private acc = 0;
  private bits = 0;
  /** Zero bits fed after a marker, at the bottom of `acc`. */
  private pad = 0;
  /** The marker that ended the data, or −1. */
  marker = -1;
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.bits <= 16) {
      let byte = 0;
      if (this.marker < 0 && this.pos < this.b.length) {
        byte = this.b[this.pos];
        if (byte === 0xff) {
          const next = this.b[this.pos + 1];
          if (next === 0) this.pos += 2;
          else {
            this.marker = next;
            byte = 0;
            this.pad += 8;
          }
        } else this.pos++;
      } else this.pad += 8;
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.bits += 8;
    }
  }

  private consume(n: number): void {
    this.bits -= n;
    if (this.bits < this.pad) throw new DataEnd();
  }

  bit(n: number): number {
    if (this.bits < n) this.fill();
    const v = (this.acc >>> (this.bits - n)) & ((1 << n) - 1);
    this.consume(n);
    return v;
  }

  peek9(): number {
    if (this.bits < 9) this.fill();
    return (this.acc >>> (this.bits - 9)) & 511;
  }

  skip(n: number): void {
    this.consume(n);
  }

  decode(h: Huffman): number {
    const f = h.fast[this.peek9()];
    if (f !== 0) {
      this.skip(f >> 8);
      return f & 255;
    }
    let code = this.bit(9);
    let len = 9;
    while (code > h.maxcode[len]) {
      code = (code << 1) | this.bit(1);
      if (++len > 16) throw new DataEnd();
    }
    return h.symbols[h.valptr[len] + code];
  }

  /** `s` raw bits as a signed coefficient (JPEG's EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bit(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Drops the bits left in the byte, then expects restart marker `m` (0xD0–0xD7). */
  restart(m: number): void {
    this.acc = 0;
    this.bits = 0;
    this.pad = 0;
    if (this.marker < 0) {
      if (this.b[this.pos] !== 0xff || this.b[this.pos + 1] !== m) throw new DataEnd();
      this.pos += 2;
    } else {
      if (this.marker !== m) throw new DataEnd();
      this.pos += 2;
      this.marker = -1;
    }
  }
}

// ---------------------------------------------------------------- IDCT (jidctint.c, islow)

const CONST_BITS = 13;
const PASS1_BITS = 2;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

/** libjpeg's post-IDCT range limit: centred sample v (mod 1024) → clamped 0–255. */
const RANGE = (() => {
  const t = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) {
    const v = i < 512 ? i : i - 1024;
    t[i] = Math.min(Math.max(v + 128, 0), 255);
  }
  return t;
})();

const ws = new Int32Array(64);

/** Dequantises and inverse-transforms one block into `out` (row stride `stride`) at `at`. */
function idctIslow(coef: Int32Array, c0: number, q: Int32Array, out: Uint8Array, at: number, stride: number): void {
  for (let col = 0; col < 8; col++) {
    const c = c0 + col;
    if (
      coef[c + 8] === 0 &&
      coef[c + 16] === 0 &&
      coef[c + 24] === 0 &&
      coef[c + 32] === 0 &&
      coef[c + 40] === 0 &&
      coef[c + 48] === 0 &&
      coef[c + 56] === 0
    ) {
      const dc = (coef[c] * q[col]) << PASS1_BITS;
      for (let r = 0; r < 8; r++) ws[r * 8 + col] = dc;
      continue;
    }
    let z2 = coef[c + 16] * q[col + 16];
    let z3 = coef[c + 48] * q[col + 48];
    let z1 = Math.imul(z2 + z3, F_0_541);
    let tmp2 = z1 + Math.imul(z3, -F_1_847);
    let tmp3 = z1 + Math.imul(z2, F_0_765);
    z2 = coef[c] * q[col];
    z3 = coef[c + 32] * q[col + 32];
    let tmp0 = (z2 + z3) << CONST_BITS;
    let tmp1 = (z2 - z3) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = coef[c + 56] * q[col + 56];
    tmp1 = coef[c + 40] * q[col + 40];
    tmp2 = coef[c + 24] * q[col + 24];
    tmp3 = coef[c + 8] * q[col + 8];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = Math.imul(z3 + z4, F_1_175);
    tmp0 = Math.imul(tmp0, F_0_298);
    tmp1 = Math.imul(tmp1, F_2_053);
    tmp2 = Math.imul(tmp2, F_3_072);
    tmp3 = Math.imul(tmp3, F_1_501);
    z1 = Math.imul(z1, -F_0_899);
    z2 = Math.imul(z2, -F_2_562);
    z3 = Math.imul(z3, -F_1_961) + z5;
    z4 = Math.imul(z4, -F_0_390) + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const sh = CONST_BITS - PASS1_BITS;
    const half = 1 << (sh - 1);
    ws[col] = (tmp10 + tmp3 + half) >> sh;
    ws[56 + col] = (tmp10 - tmp3 + half) >> sh;
    ws[8 + col] = (tmp11 + tmp2 + half) >> sh;
    ws[48 + col] = (tmp11 - tmp2 + half) >> sh;
    ws[16 + col] = (tmp12 + tmp1 + half) >> sh;
    ws[40 + col] = (tmp12 - tmp1 + half) >> sh;
    ws[24 + col] = (tmp13 + tmp0 + half) >> sh;
    ws[32 + col] = (tmp13 - tmp0 + half) >> sh;
  }
  const sh = CONST_BITS + PASS1_BITS + 3;
  const half = 1 << (sh - 1);
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = at + row * stride;
    if (
      ws[w + 1] === 0 &&
      ws[w + 2] === 0 &&
      ws[w + 3] === 0 &&
      ws[w + 4] === 0 &&
      ws[w + 5] === 0 &&
      ws[w + 6] === 0 &&
      ws[w + 7] === 0
    ) {
      const v = RANGE[((ws[w] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023];
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    let z2 = ws[w + 2];
    let z3 = ws[w + 6];
    let z1 = Math.imul(z2 + z3, F_0_541);
    let tmp2 = z1 + Math.imul(z3, -F_1_847);
    let tmp3 = z1 + Math.imul(z2, F_0_765);
    let tmp0 = (ws[w] + ws[w + 4]) << CONST_BITS;
    let tmp1 = (ws[w] - ws[w + 4]) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7];
    tmp1 = ws[w + 5];
    tmp2 = ws[w + 3];
    tmp3 = ws[w + 1];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = Math.imul(z3 + z4, F_1_175);
    tmp0 = Math.imul(tmp0, F_0_298);
    tmp1 = Math.imul(tmp1, F_2_053);
    tmp2 = Math.imul(tmp2, F_3_072);
    tmp3 = Math.imul(tmp3, F_1_501);
    z1 = Math.imul(z1, -F_0_899);
    z2 = Math.imul(z2, -F_2_562);
    z3 = Math.imul(z3, -F_1_961) + z5;
    z4 = Math.imul(z4, -F_0_390) + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[o] = RANGE[((tmp10 + tmp3 + half) >> sh) & 1023];
    out[o + 7] = RANGE[((tmp10 - tmp3 + half) >> sh) & 1023];
    out[o + 1] = RANGE[((tmp11 + tmp2 + half) >> sh) & 1023];
    out[o + 6] = RANGE[((tmp11 - tmp2 + half) >> sh) & 1023];
    out[o + 2] = RANGE[((tmp12 + tmp1 + half) >> sh) & 1023];
    out[o + 5] = RANGE[((tmp12 - tmp1 + half) >> sh) & 1023];
    out[o + 3] = RANGE[((tmp13 + tmp0 + half) >> sh) & 1023];
    out[o + 4] = RANGE[((tmp13 - tmp0 + half) >> sh) & 1023];
  }
}

// ---------------------------------------------------------------- upsampling (jdsample.c)

/** A component plane: `w × h` real samples in rows of `stride`. */
interface Plane {
  data: Uint8Array;
  w: number;
  h: number;
  stride: number;
}

/** Row `r` clamped to the real rows (libjpeg repeats the first and last rows as context). */
const rowAt = (p: Plane, r: number) => (r < 0 ? 0 : r >= p.h ? p.h - 1 : r) * p.stride;

/** 2× horizontal triangle filter (`h2v1_fancy_upsample`), for planes wider than 2 samples. */
function h2v1Fancy(p: Plane, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  const last = p.w - 1;
  for (let r = 0; r < outH; r++) {
    const i = rowAt(p, r);
    const o = r * outW;
    const d = p.data;
    const put = (k: number, v: number) => {
      if (k < outW) out[o + k] = v;
    };
    put(0, d[i]);
    put(1, (d[i] * 3 + d[i + 1] + 2) >> 2);
    for (let c = 1; c < last; c++) {
      const v = d[i + c] * 3;
      put(2 * c, (v + d[i + c - 1] + 1) >> 2);
      put(2 * c + 1, (v + d[i + c + 1] + 2) >> 2);
    }
    put(2 * last, (d[i + last] * 3 + d[i + last - 1] + 1) >> 2);
    put(2 * last + 1, d[i + last]);
  }
  return out;
}

/** 2× both ways (`h2v2_fancy_upsample`): 9/16, 3/16, 3/16, 1/16 of the nearest samples. */
function h2v2Fancy(p: Plane, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  const d = p.data;
  const last = p.w - 1;
  for (let r = 0; r < outH; r++) {
    const inRow = r >> 1;
    const i0 = rowAt(p, inRow);
    const i1 = rowAt(p, r & 1 ? inRow + 1 : inRow - 1);
    const o = r * outW;
    const col = (c: number) => d[i0 + c] * 3 + d[i1 + c];
    const put = (k: number, v: number) => {
      if (k < outW) out[o + k] = v;
    };
    let lastSum = col(0);
    let thisSum = lastSum;
    let nextSum = col(1);
    put(0, (thisSum * 4 + 8) >> 4);
    put(1, (thisSum * 3 + nextSum + 7) >> 4);
    lastSum = thisSum;
    thisSum = nextSum;
    for (let c = 1; c < last; c++) {
      nextSum = col(c + 1);
      put(2 * c, (thisSum * 3 + lastSum + 8) >> 4);
      put(2 * c + 1, (thisSum * 3 + nextSum + 7) >> 4);
      lastSum = thisSum;
      thisSum = nextSum;
    }
    put(2 * last, (thisSum * 3 + lastSum + 8) >> 4);
    put(2 * last + 1, (thisSum * 4 + 7) >> 4);
  }
  return out;
}

/** Pixel replication by (fx, fy) (`h2v1_upsample` / `h2v2_upsample` / full size). */
function replicate(p: Plane, fx: number, fy: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  for (let r = 0; r < outH; r++) {
    const i = rowAt(p, Math.floor(r / fy));
    for (let c = 0; c < outW; c++) out[r * outW + c] = p.data[i + Math.floor(c / fx)];
  }
  return out;
}

// ---------------------------------------------------------------- colour (jdcolor.c)

const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  // FIX(a) = round(a · 2^16); ONE_HALF = 2^15.
  CR_R[i] = (91881 * x + 32768) >> 16;
  CB_B[i] = (116130 * x + 32768) >> 16;
  CR_G[i] = -46802 * x;
  CB_G[i] = -22554 * x + 32768;
}
const clamp255 = (v: number) => Math.min(Math.max(v, 0), 255);

// ---------------------------------------------------------------- parser

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  td: number;
  ta: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  coef: Int32Array;
  pred: number;
}

/**
 * Decodes `bytes` when it is a baseline JPEG this decoder reproduces exactly and has at most
 * `maxPixels` pixels; otherwise returns null (the caller decodes with sharp). `channels` 3 gives
 * RGB; 1 is answered only for greyscale JPEGs.
 */
export function decodeBaselineJpeg(bytes: Uint8Array, channels: 1 | 3, maxPixels: number): Image | null {
  try {
    return decode(bytes, channels, maxPixels);
  } catch (e) {
    if (e instanceof DataEnd || e instanceof RangeError) return null;
    throw e;
  }
}

function decode(b: Uint8Array, channels: 1 | 3, maxPixels: number): Image | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const qt: (Int32Array | undefined)[] = [];
  const dc: (Huffman | undefined)[] = [];
  const ac: (Huffman | undefined)[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let restartInterval = 0;
  let jfif = false;
  let pos = 2;
  const u16 = (p: number) => (b[p] << 8) | b[p + 1];
  for (;;) {
    while (pos < b.length && b[pos] !== 0xff) pos++;
    while (pos < b.length && b[pos] === 0xff) pos++;
    if (pos + 2 >= b.length) return null;
    const marker = b[pos++];
    const len = u16(pos);
    const seg = pos + 2;
    const end = pos + len;
    if (len < 2 || end > b.length) return null;
    if (marker === 0xe0) {
      if (len >= 7 && b[seg] === 0x4a && b[seg + 1] === 0x46 && b[seg + 2] === 0x49 && b[seg + 3] === 0x46) jfif = true;
    } else if (marker === 0xe1 || marker === 0xe2 || marker === 0xee) {
      // EXIF (orientation), ICC profiles and Adobe colour transforms change the pixels: sharp's job.
      return null;
    } else if (marker === 0xdb) {
      for (let p = seg; p < end; ) {
        const pq = b[p] >> 4;
        const tq = b[p] & 15;
        if (tq > 3 || pq > 1) return null;
        const t = new Int32Array(64);
        for (let k = 0; k < 64; k++) t[ZIGZAG[k]] = pq ? u16(p + 1 + 2 * k) : b[p + 1 + k];
        qt[tq] = t;
        p += 1 + (pq ? 128 : 64);
      }
    } else if (marker === 0xc4) {
      for (let p = seg; p < end; ) {
        const tc = b[p] >> 4;
        const th = b[p] & 15;
        const counts = b.subarray(p + 1, p + 17);
        const n = counts.reduce((a, x) => a + x, 0);
        if (tc > 1 || th > 3 || p + 17 + n > end) return null;
        const h = buildHuffman(counts, b.subarray(p + 17, p + 17 + n));
        if (!h) return null;
        (tc === 0 ? dc : ac)[th] = h;
        p += 17 + n;
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      if (b[seg] !== 8) return null;
      height = u16(seg + 1);
      width = u16(seg + 3);
      const nf = b[seg + 5];
      if (height === 0 || width === 0 || width * height > maxPixels || (nf !== 1 && nf !== 3)) return null;
      comps = [];
      for (let i = 0; i < nf; i++) {
        const o = seg + 6 + 3 * i;
        comps.push({
          id: b[o],
          h: nf === 1 ? 1 : b[o + 1] >> 4,
          v: nf === 1 ? 1 : b[o + 1] & 15,
          tq: b[o + 2],
          td: 0,
          ta: 0,
          blocksPerLine: 0,
          blocksPerColumn: 0,
          coef: new Int32Array(0),
          pred: 0,
        });
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(seg);
    } else if (marker === 0xda) {
      if (comps.length === 0) return null;
      const ns = b[seg];
      if (ns !== comps.length || b[seg + 1 + 2 * ns] !== 0 || b[seg + 2 + 2 * ns] !== 63 || b[seg + 3 + 2 * ns] !== 0)
        return null;
      for (let i = 0; i < ns; i++) {
        const c = comps.find((x) => x.id === b[seg + 1 + 2 * i]);
        if (!c || c !== comps[i]) return null;
        c.td = b[seg + 2 + 2 * i] >> 4;
        c.ta = b[seg + 2 + 2 * i] & 15;
      }
      if (channels === 1 && comps.length !== 1) return null;
      // Colour ids 'R', 'G', 'B' without JFIF mean RGB samples, not YCbCr.
      if (comps.length === 3 && !jfif && comps[0].id === 82 && comps[1].id === 71 && comps[2].id === 66) return null;
      return scan(b, end, comps, qt, dc, ac, width, height, restartInterval, channels);
    } else if ((marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xdc) {
      return null; // progressive, lossless, arithmetic, hierarchical, DNL
    } else if (marker === 0xd9) return null;
    pos = end;
  }
}

function scan(
  b: Uint8Array,
  start: number,
  comps: Component[],
  qt: (Int32Array | undefined)[],
  dcT: (Huffman | undefined)[],
  acT: (Huffman | undefined)[],
  width: number,
  height: number,
  restartInterval: number,
  channels: 1 | 3,
): Image | null {
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  for (const c of comps) {
    // Sampling this decoder reproduces exactly: full, half width, or half width and height.
    const fx = hmax / c.h;
    const fy = vmax / c.v;
    if (!(fx === 1 && fy === 1) && !(fx === 2 && fy === 1) && !(fx === 2 && fy === 2)) return null;
    if (!qt[c.tq] || !dcT[c.td] || !acT[c.ta]) return null;
  }
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  for (const c of comps) {
    c.blocksPerLine = mcusX * c.h;
    c.blocksPerColumn = mcusY * c.v;
    c.coef = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
  }
  const r = new BitReader(b, start);
  const single = comps.length === 1;
  // A lone component is coded block by block over its own size, not in MCUs.
  const total = single ? Math.ceil(width / 8) * Math.ceil(height / 8) : mcusX * mcusY;
  const unitsPerLine = single ? Math.ceil(width / 8) : mcusX;
  let rst = 0;
  const decodeBlock = (c: Component, offset: number) => {
    const dc = dcT[c.td] as Huffman;
    const ac = acT[c.ta] as Huffman;
    const t = r.decode(dc);
    if (t > 11) throw new DataEnd();
    c.pred += r.receiveExtend(t);
    c.coef[offset] = c.pred;
    for (let k = 1; k < 64; ) {
      const rs = r.decode(ac);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run !== 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw new DataEnd();
      c.coef[offset + ZIGZAG[k]] = r.receiveExtend(s);
      k++;
    }
  };
  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      r.restart(0xd0 + rst);
      rst = (rst + 1) & 7;
      for (const c of comps) c.pred = 0;
    }
    const mx = m % unitsPerLine;
    const my = Math.floor(m / unitsPerLine);
    if (single) {
      const c = comps[0];
      decodeBlock(c, (my * c.blocksPerLine + mx) * 64);
      continue;
    }
    for (const c of comps) {
      for (let v = 0; v < c.v; v++) {
        for (let h = 0; h < c.h; h++) {
          decodeBlock(c, ((my * c.v + v) * c.blocksPerLine + mx * c.h + h) * 64);
        }
      }
    }
  }
  // Inverse transforms into planes of whole blocks.
  const planes: Plane[] = comps.map((c) => {
    const stride = c.blocksPerLine * 8;
    const data = new Uint8Array(stride * c.blocksPerColumn * 8);
    const q = qt[c.tq] as Int32Array;
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        idctIslow(c.coef, (by * c.blocksPerLine + bx) * 64, q, data, by * 8 * stride + bx * 8, stride);
      }
    }
    return { data, w: Math.ceil((width * c.h) / hmax), h: Math.ceil((height * c.v) / vmax), stride };
  });
  const full = planes.map((p, i) => {
    const fx = hmax / comps[i].h;
    const fy = vmax / comps[i].v;
    if (fx === 1 && fy === 1) return replicate(p, 1, 1, width, height);
    if (p.w <= 2) return replicate(p, fx, fy, width, height);
    return fy === 1 ? h2v1Fancy(p, width, height) : h2v2Fancy(p, width, height);
  });
  const n = width * height;
  if (channels === 1) return makeImage(full[0], width, height, 1);
  const out = new Uint8Array(n * 3);
  if (comps.length === 1) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = full[0][i];
  } else {
    const [y, cb, cr] = full;
    for (let i = 0; i < n; i++) {
      const yy = y[i];
      out[3 * i] = clamp255(yy + CR_R[cr[i]]);
      out[3 * i + 1] = clamp255(yy + ((CB_G[cb[i]] + CR_G[cr[i]]) >> 16));
      out[3 * i + 2] = clamp255(yy + CB_B[cb[i]]);
    }
  }
  return makeImage(out, width, height, 3);
}
