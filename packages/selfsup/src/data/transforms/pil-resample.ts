/**
 * Pillow's resampling of 8-bit images, reproduced in JS for the filter libtorch lacks: Lanczos
 * (a = 3), which torchvision applies through PIL and MMSelfSup names `interpolation: 'lanczos'`
 * (BEiT v1's DALL-E tokenizer view). Pillow computes each axis's weights in double precision,
 * normalises them to sum 1, turns them into integers with 22 fractional bits, and resizes in two
 * passes (width, then height) with an 8-bit image in between, each output rounded and clipped to
 * [0, 255]; a pass whose size does not change is skipped. Doing the same here gives Pillow's bytes
 * (checked against `PIL.Image.resize` through torchvision in the tests).
 */
import type { Image } from '../image.js';

/** The filters implemented here (Pillow's names). */
export type PilFilter = 'lanczos';

/** Fractional bits of Pillow's fixed-point weights (32 − 8 − 2: room for 8-bit values and overshoot). */
const BITS = 22;
const ONE = 2 ** BITS;
const HALF = 2 ** (BITS - 1);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Lanczos-3: sinc(x)·sinc(x/3) on [−3, 3). */
function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

const FILTERS: Record<PilFilter, { fn: (x: number) => number; support: number }> = {
  lanczos: { fn: lanczos, support: 3 },
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
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero before the clamp, as Pillow does.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const inv = 1 / stretch;
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

/** A fixed-point sum back to a byte: floor-shift (C's `>>` on a signed int), then clip. */
function clip8(sum: number): number {
  const v = Math.floor(sum / ONE);
  return Math.min(Math.max(v, 0), 255);
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
  const [top, left, h, w] = box;
  const C = img.channels;
  if (top < 0 || left < 0 || h < 1 || w < 1 || top + h > img.height || left + w > img.width)
    throw new RangeError(`pilResizedCropInto: box ${box} outside the ${img.height}×${img.width} image`);
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1)
    throw new RangeError(`pilResizedCropInto: output size ${outH}×${outW} must be positive integers`);
  const src = img.data;
  const stride = img.width * C;
  const ty = h === outH ? null : fixedTaps(h, outH, filter);
  // Only the rows the height pass reads go through the width pass (Pillow's row window).
  const y0 = ty ? ty.first[0] : 0;
  const y1 = ty ? ty.first[outH - 1] + ty.count[outH - 1] : h;
  const rows = y1 - y0;
  // The width pass's 8-bit result, (C, rows, outW).
  const wide = new Uint8Array(C * rows * outW);
  if (w === outW) {
    for (let c = 0; c < C; c++)
      for (let y = 0; y < rows; y++) {
        const s = (top + y0 + y) * stride + left * C + c;
        const d = (c * rows + y) * outW;
        for (let x = 0; x < outW; x++) wide[d + x] = src[s + x * C];
      }
  } else {
    const tx = fixedTaps(w, outW, filter);
    for (let c = 0; c < C; c++)
      for (let y = 0; y < rows; y++) {
        const row = (top + y0 + y) * stride + left * C + c;
        const d = (c * rows + y) * outW;
        for (let x = 0; x < outW; x++) {
          const at = row + tx.first[x] * C;
          const kw = x * tx.stride;
          let sum = HALF;
          for (let k = 0; k < tx.count[x]; k++) sum += src[at + k * C] * tx.weights[kw + k];
          wide[d + x] = clip8(sum);
        }
      }
  }
  for (let c = 0; c < C; c++) {
    const plane = c * rows * outW;
    const dst = offset + c * outH * outW;
    if (!ty) {
      out.set(wide.subarray(plane, plane + outH * outW), dst);
      continue;
    }
    for (let y = 0; y < outH; y++) {
      const from = plane + (ty.first[y] - y0) * outW;
      const kw = y * ty.stride;
      for (let x = 0; x < outW; x++) {
        let sum = HALF;
        for (let k = 0; k < ty.count[y]; k++) sum += wide[from + k * outW + x] * ty.weights[kw + k];
        out[dst + y * outW + x] = clip8(sum);
      }
    }
  }
}
