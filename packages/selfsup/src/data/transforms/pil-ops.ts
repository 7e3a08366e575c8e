/**
 * Pillow's point and filter operations that RandAugment uses (Cubuk et al. 2020; timm's
 * `auto_augment.py`, which MAE's and BEiT's fine-tuning recipes run on PIL images), on one
 * `(C, H, W)` uint8 image in JS memory, in place, byte-identical to Pillow 9.4 (Debian 12's):
 * `ImageOps.autocontrast/equalize/invert/posterize/solarize`, timm's `solarize_add` (a lookup
 * table), `ImageEnhance.Sharpness` (the SMOOTH 3×3 filter, then `Image.blend`). The colour
 * enhancements (`Color`, `Contrast`, `Brightness`) are pil-color.ts's. Channels are processed apart,
 * as Pillow's per-band histograms and lookup tables do; 1- and 3-channel images (L and RGB).
 */
import type { Planes } from './bytes.js';

const f32 = Math.fround;

function checkPlanes(p: Planes, what: string): void {
  if (p.c !== 1 && p.c !== 3) throw new RangeError(`${what}: Pillow's L or RGB images have 1 or 3 channels, got ${p.c}`);
}

/** Maps every byte of channel k through `luts[k]` (Pillow's `point` with one table per band). */
function applyLuts(p: Planes, luts: Uint8Array[]): void {
  const n = p.h * p.w;
  for (let k = 0; k < p.c; k++) {
    const lut = luts[k];
    const plane = p.data.subarray(p.offset + k * n, p.offset + (k + 1) * n);
    for (let i = 0; i < n; i++) plane[i] = lut[plane[i]];
  }
}

/** The same table for every channel. */
function applyLut(p: Planes, lut: (i: number) => number): void {
  const t = new Uint8Array(256);
  // Pillow clips table entries to a byte (`CLIP8`).
  for (let i = 0; i < 256; i++) t[i] = Math.min(255, Math.max(0, lut(i)));
  applyLuts(
    p,
    Array.from({ length: p.c }, () => t),
  );
}

/** Per-channel 256-bin histograms (Pillow's `histogram()` of an L or RGB image). */
function histograms(p: Planes): Float64Array[] {
  const n = p.h * p.w;
  return Array.from({ length: p.c }, (_, k) => {
    const h = new Float64Array(256);
    const plane = p.data.subarray(p.offset + k * n, p.offset + (k + 1) * n);
    for (let i = 0; i < n; i++) h[plane[i]]++;
    return h;
  });
}

/** `ImageOps.invert`: 255 − v. */
export function pilInvertBytes(p: Planes): void {
  checkPlanes(p, 'pilInvertBytes');
  applyLut(p, (i) => 255 - i);
}

/** `ImageOps.solarize(img, threshold)`: values at or above `threshold` inverted. */
export function pilSolarizeBytes(p: Planes, threshold: number): void {
  checkPlanes(p, 'pilSolarizeBytes');
  applyLut(p, (i) => (i < threshold ? i : 255 - i));
}

/** timm's `solarize_add`: `min(255, v + add)` for values below `threshold`, others kept. */
export function pilSolarizeAddBytes(p: Planes, add: number, threshold = 128): void {
  checkPlanes(p, 'pilSolarizeAddBytes');
  applyLut(p, (i) => (i < threshold ? Math.min(255, i + add) : i));
}

/** `ImageOps.posterize(img, bits)`: the `bits` most significant bits of each value (0 to 8). */
export function pilPosterizeBytes(p: Planes, bits: number): void {
  checkPlanes(p, 'pilPosterizeBytes');
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 8))
    throw new RangeError(`pilPosterizeBytes: bits must be an integer in [0, 8], got ${bits}`);
  const mask = ~(2 ** (8 - bits) - 1);
  applyLut(p, (i) => i & mask);
}

/**
 * `ImageOps.autocontrast(img)` (no cut-off): each channel's darkest value maps to 0 and its
 * lightest to 255, `int(v·scale − lo·scale)` with `scale = 255 / (hi − lo)` in double precision;
 * a channel with one value is left as it is.
 */
export function pilAutocontrastBytes(p: Planes): void {
  checkPlanes(p, 'pilAutocontrastBytes');
  const luts = histograms(p).map((h) => {
    let lo = 0;
    while (lo < 255 && !h[lo]) lo++;
    let hi = 255;
    while (hi > 0 && !h[hi]) hi--;
    const lut = new Uint8Array(256);
    if (hi <= lo) for (let i = 0; i < 256; i++) lut[i] = i;
    else {
      const scale = 255 / (hi - lo);
      const offset = -lo * scale;
      for (let i = 0; i < 256; i++) lut[i] = Math.min(255, Math.max(0, Math.trunc(i * scale + offset)));
    }
    return lut;
  });
  applyLuts(p, luts);
}

/**
 * `ImageOps.equalize(img)`: per channel, `step = (N − count of the last occupied bin) // 255` and
 * value i maps to `(step // 2 + Σ_{j<i} hist[j]) // step` (clipped to a byte); a channel with one
 * value, or too few pixels for a step, is left as it is.
 */
export function pilEqualizeBytes(p: Planes): void {
  checkPlanes(p, 'pilEqualizeBytes');
  const luts = histograms(p).map((h) => {
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) lut[i] = i;
    let total = 0;
    let occupied = 0;
    let last = 0;
    for (let i = 0; i < 256; i++)
      if (h[i]) {
        total += h[i];
        occupied++;
        last = h[i];
      }
    if (occupied <= 1) return lut;
    const step = Math.floor((total - last) / 255);
    if (!step) return lut;
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = Math.min(255, Math.floor(n / step));
      n += h[i];
    }
    return lut;
  });
  applyLuts(p, luts);
}

/**
 * `Image.blend(im1, im2, alpha)` into `im2`'s place: `in1 + α·(in2 − in1)` in float32 (α rounded
 * to float32), truncated, clipped to [0, 255] when α lies outside [0, 1]. `im1` holds the same
 * layout as `p`'s image, without an offset.
 */
function blendInto(im1: Uint8Array, p: Planes, alpha: number): void {
  const a = f32(alpha);
  const n = p.c * p.h * p.w;
  const out = p.data.subarray(p.offset, p.offset + n);
  if (a === 0) {
    out.set(im1);
    return;
  }
  if (a === 1) return;
  for (let i = 0; i < n; i++) {
    const v = f32(im1[i] + f32(a * (out[i] - im1[i])));
    // A Uint8Array store truncates in range; only extrapolation needs the clip.
    out[i] = Math.min(255, Math.max(0, v));
  }
}

/**
 * `image.filter(ImageFilter.SMOOTH)`: the 3×3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 in float32
 * (weights divided in float32, products and sums rounded to float32 row by row, 0.5 added for
 * rounding, truncated), the one-pixel border copied unchanged. Returns a new `(C, H, W)` array.
 */
export function pilSmooth(p: Planes): Uint8Array {
  const { c, h, w } = p;
  const n = h * w;
  const src = p.data.subarray(p.offset, p.offset + c * n);
  const out = src.slice();
  if (h < 3 || w < 3) return out;
  const k = f32(f32(1) / f32(13));
  const k5 = f32(f32(5) / f32(13));
  const row = (base: number, x: number, mid: number) =>
    f32(f32(f32(src[base + x - 1] * k) + f32(src[base + x] * mid)) + f32(src[base + x + 1] * k));
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * n;
    for (let y = 1; y < h - 1; y++) {
      const above = plane + (y - 1) * w;
      const here = plane + y * w;
      const below = plane + (y + 1) * w;
      for (let x = 1; x < w - 1; x++) {
        // Pillow adds the row below first, then the row itself, then the row above.
        let ss = f32(0.5);
        ss = f32(ss + row(below, x, k));
        ss = f32(ss + row(here, x, k5));
        ss = f32(ss + row(above, x, k));
        out[here + x] = Math.min(255, Math.max(0, ss));
      }
    }
  }
  return out;
}

/** `ImageEnhance.Sharpness(img).enhance(factor)`: a blend from the SMOOTH-filtered image. */
export function pilSharpnessBytes(p: Planes, factor: number): void {
  checkPlanes(p, 'pilSharpnessBytes');
  blendInto(pilSmooth(p), p, factor);
}
