/**
 * Pillow's resampling of 8-bit images, reproduced in JS: Lanczos (a = 3), the filter libtorch
 * lacks (MMSelfSup's `interpolation: 'lanczos'`, BEiT v1's DALL-E tokenizer view), and Pillow's
 * bilinear and bicubic, what torchvision's PIL path computes (`backend: 'pillow'`). Pillow
 * computes each axis's weights in double precision, normalises them to sum 1, turns them into
 * integers with 22 fractional bits, and resizes in two passes (width, then height) with an 8-bit
 * image in between, each output rounded and clipped to [0, 255]; a pass whose size does not change
 * is skipped. Doing the same here gives Pillow's bytes (checked against `PIL.Image.resize` through
 * torchvision in the tests), in integer arithmetic, which is much cheaper in JS than emulating
 * libtorch's float32 kernels.
 */
import { checkCropBox, type Image } from '../image.js';

/** The filters implemented here (Pillow's names). */
export type PilFilter = 'bilinear' | 'bicubic' | 'lanczos';

/** Fractional bits of Pillow's fixed-point weights (32 − 8 − 2: room for 8-bit values and overshoot). */
const BITS = 22;
const ONE = 2 ** BITS;
const HALF = 2 ** (BITS - 1);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's filters and their supports; bicubic is Keys' cubic with a = −0.5. */
const FILTERS: Record<PilFilter, { fn: (x: number) => number; support: number }> = {
  bilinear: {
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
    support: 1,
  },
  bicubic: {
    fn: (x) => {
      const a = Math.abs(x);
      if (a < 1) return (1.5 * a - 2.5) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * -0.5;
      return 0;
    },
    support: 2,
  },
  lanczos: { fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};

/** Per output index: first source index, tap count, and `stride` integer weights each. */
interface FixedTaps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  stride: number;
}

const cache = new Map<string, FixedTaps>();

/** Pillow's weights for `inSize` → `outSize` samples along one axis, as fixed-point integers. */
function fixedTaps(inSize: number, outSize: number, filter: PilFilter): FixedTaps {
  const key = `${inSize},${outSize},${filter}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { fn, support: base } = FILTERS[filter];
  const scale = inSize / outSize;
  // Downscaling widens the filter by the scale (antialiasing); upscaling keeps it.
  const stretch = Math.max(scale, 1);
  const support = base * stretch;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const w = new Float64Array(stride);
  const inv = 1 / stretch;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero before the clamp, as Pillow does.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let k = 0; k < hi - lo; k++) {
      w[k] = fn((k + lo - center + 0.5) * inv);
      total += w[k];
    }
    for (let k = 0; k < hi - lo; k++) {
      const v = total === 0 ? w[k] : w[k] / total;
      weights[o * stride + k] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    first[o] = lo;
    count[o] = hi - lo;
  }
  const t = { first, count, weights, stride };
  if (cache.size > 1024) cache.clear();
  cache.set(key, t);
  return t;
}

/**
 * A fixed-point sum back to a byte: an arithmetic shift (C's `>>` on a signed int; the sums stay
 * within int32 as in Pillow), then clipped.
 */
function clip8(sum: number): number {
  const v = sum >> BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * Crops `[top, left, h, w]` of an `(H, W, C)` image and resizes the crop to `outH × outW` as
 * Pillow's `img.crop(box).resize((outW, outH), filter)` does, writing `(C, outH, outW)` bytes into
 * `out` at `offset`.
 */
export function pilResizedCropInto(
  img: Image,
  box: [number, number, number, number],
  outH: number,
  outW: number,
  filter: PilFilter,
  out: Uint8Array,
  offset: number,
): void {
  checkCropBox(img, box, outH, outW, 'pilResizedCropInto');
  const [top, left, h, w] = box;
  const C = img.channels;
  const src = img.data;
  const stride = img.width * C;
  const ty = h === outH ? null : fixedTaps(h, outH, filter);
  // Only the rows the height pass reads go through the width pass (Pillow's row window).
  const y0 = ty ? ty.first[0] : 0;
  const y1 = ty ? ty.first[outH - 1] + ty.count[outH - 1] : h;
  const rows = y1 - y0;
  const rowLen = outW * C;
  // The width pass's 8-bit result, interleaved (rows, outW, C) like the source.
  let wide: Uint8Array;
  let wideAt: number;
  let wideStride: number;
  if (w === outW) {
    wide = src;
    wideAt = (top + y0) * stride + left * C;
    wideStride = stride;
  } else {
    const tx = fixedTaps(w, outW, filter);
    wide = new Uint8Array(rows * rowLen);
    wideAt = 0;
    wideStride = rowLen;
    for (let y = 0; y < rows; y++) {
      const row = (top + y0 + y) * stride + left * C;
      const d = y * rowLen;
      for (let x = 0; x < outW; x++) {
        const at = row + tx.first[x] * C;
        const kw = x * tx.stride;
        const n = tx.count[x];
        if (C === 3) {
          let s0 = HALF;
          let s1 = HALF;
          let s2 = HALF;
          for (let k = 0; k < n; k++) {
            const wt = tx.weights[kw + k];
            const p = at + k * 3;
            s0 += src[p] * wt;
            s1 += src[p + 1] * wt;
            s2 += src[p + 2] * wt;
          }
          wide[d + x * 3] = clip8(s0);
          wide[d + x * 3 + 1] = clip8(s1);
          wide[d + x * 3 + 2] = clip8(s2);
        } else {
          let s0 = HALF;
          for (let k = 0; k < n; k++) s0 += src[at + k] * tx.weights[kw + k];
          wide[d + x] = clip8(s0);
        }
      }
    }
  }
  const plane = outH * outW;
  if (!ty) {
    for (let y = 0; y < outH; y++)
      for (let x = 0; x < outW; x++)
        for (let c = 0; c < C; c++) out[offset + c * plane + y * outW + x] = wide[wideAt + y * wideStride + x * C + c];
    return;
  }
  // The height pass sums whole rows at a time: sequential reads, one accumulator per value.
  const acc = new Float64Array(rowLen);
  for (let y = 0; y < outH; y++) {
    acc.fill(HALF);
    const kw = y * ty.stride;
    const from = wideAt + (ty.first[y] - y0) * wideStride;
    for (let k = 0; k < ty.count[y]; k++) {
      const wt = ty.weights[kw + k];
      const r = from + k * wideStride;
      for (let i = 0; i < rowLen; i++) acc[i] += wide[r + i] * wt;
    }
    const d = offset + y * outW;
    for (let x = 0; x < outW; x++) for (let c = 0; c < C; c++) out[d + c * plane + x] = clip8(acc[x * C + c]);
  }
}
