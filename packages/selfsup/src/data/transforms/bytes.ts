/**
 * Colour and flip transforms on one `(C, H, W)` uint8 image held in JS memory, computing exactly
 * what the tensor versions in functional.ts compute: every libtorch elementwise float32 op is one
 * correctly rounded IEEE operation, so the same sequence with `Math.fround` after each step gives
 * the same numbers (the grey mean of a uint8 image is a sum of integers below 2^24, exact in any
 * order). One pass per op over a small image, instead of a dozen libtorch ops on the batch, is
 * what makes these cheap in the loader; tests compare them with the tensor versions.
 */
const fround = Math.fround;

/** A `(C, H, W)` uint8 image: `data` holds `c` planes of `h × w` from `offset`. */
export interface Planes {
  data: Uint8Array;
  offset: number;
  c: number;
  h: number;
  w: number;
}

/** `x · c` in float32 for every byte value x (the products libtorch forms), into `out`. */
function byteTimes(c: number, out = new Float32Array(256)): Float32Array {
  for (let x = 0; x < 256; x++) out[x] = fround(x * c);
  return out;
}
const GREY_R = byteTimes(fround(0.2989));
const GREY_G = byteTimes(fround(0.587));
const GREY_B = byteTimes(fround(0.114));
const UNIT = Float32Array.from({ length: 256 }, (_, x) => fround(x / 255));
// Scratch tables, refilled per call (one image at a time on a thread).
const OWN = new Float32Array(256);
const MIX = new Float32Array(256);
const LUT = new Uint8Array(256);

/** float32 → uint8 as `.to(uint8)` after a clamp to [0, 255]: truncation. */
const toByte = (v: number) => Math.trunc(Math.min(Math.max(v, 0), 255));

export function flipBytes(p: Planes, direction: 'horizontal' | 'vertical'): void {
  const { data, offset, c, h, w } = p;
  for (let k = 0; k < c; k++) {
    const base = offset + k * h * w;
    if (direction === 'horizontal') {
      for (let y = 0; y < h; y++) data.subarray(base + y * w, base + (y + 1) * w).reverse();
    } else {
      for (let y = 0; y < h >> 1; y++) {
        const a = data.slice(base + y * w, base + (y + 1) * w);
        data.copyWithin(base + y * w, base + (h - 1 - y) * w, base + (h - y) * w);
        data.set(a, base + (h - 1 - y) * w);
      }
    }
  }
}

/** ITU-R 601-2 luma of each pixel, truncated to uint8 (`rgbToGrayscale` on uint8). */
function grey(p: Planes): Uint8Array {
  const { data, offset, h, w } = p;
  const n = h * w;
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    g[i] = Math.trunc(fround(fround(GREY_R[data[offset + i]] + GREY_G[data[offset + n + i]]) + GREY_B[data[offset + 2 * n + i]]));
  }
  return g;
}

/** Greyscale kept as 3 equal channels (`rgbToGrayscale(img, 3)`). */
export function greyscaleBytes(p: Planes): void {
  if (p.c !== 3) return;
  const g = grey(p);
  const n = p.h * p.w;
  for (let k = 0; k < 3; k++) p.data.set(g, p.offset + k * n);
}

/**
 * `blend(img, other, ratio)` with a constant `other` (0 for brightness, the grey mean for
 * contrast): img·r + other·(1 − r), clamped, truncated — a function of the byte alone, so a table.
 */
function blendConstant(p: Planes, ratio: number, other: number): void {
  const o = fround(other * fround(1 - ratio));
  const r = fround(ratio);
  for (let x = 0; x < 256; x++) LUT[x] = toByte(fround(fround(x * r) + o));
  const end = p.offset + p.c * p.h * p.w;
  for (let i = p.offset; i < end; i++) p.data[i] = LUT[p.data[i]];
}

export function brightnessBytes(p: Planes, factor: number): void {
  blendConstant(p, factor, 0);
}

export function contrastBytes(p: Planes, factor: number): void {
  const n = p.h * p.w;
  let sum = 0;
  if (p.c === 3) {
    const g = grey(p);
    for (let i = 0; i < n; i++) sum += g[i];
  } else for (let i = 0; i < n; i++) sum += p.data[p.offset + i];
  blendConstant(p, factor, fround(sum / n));
}

/** `blend(img, grey(img), ratio)`. */
export function saturationBytes(p: Planes, factor: number): void {
  if (p.c !== 3) return;
  const g = grey(p);
  const own = byteTimes(fround(factor), OWN);
  const mix = byteTimes(fround(1 - factor), MIX);
  const n = p.h * p.w;
  for (let k = 0; k < 3; k++) {
    const base = p.offset + k * n;
    for (let i = 0; i < n; i++) p.data[base + i] = toByte(fround(own[p.data[base + i]] + mix[g[i]]));
  }
}

/** `adjustHue`: RGB → HSV, hue shifted by `factor` of a turn, back, ×255 truncated — torchvision's ops in order. */
export function hueBytes(p: Planes, factor: number): void {
  if (p.c !== 3) return;
  const { data, offset, h: H, w: W } = p;
  const n = H * W;
  const F = fround(factor);
  for (let i = 0; i < n; i++) {
    const r = UNIT[data[offset + i]];
    const g = UNIT[data[offset + n + i]];
    const b = UNIT[data[offset + 2 * n + i]];
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = fround(maxc - minc);
    const s = eqc ? cr : fround(cr / maxc);
    const crDiv = eqc ? 1 : cr;
    const rc = fround(fround(maxc - r) / crDiv);
    const gc = fround(fround(maxc - g) / crDiv);
    const bc = fround(fround(maxc - b) / crDiv);
    // Exactly one of the three terms is non-zero; the others add ±0.
    let hsum: number;
    if (maxc === r) hsum = fround(bc - gc);
    else if (maxc === g) hsum = fround(fround(rc - bc) + 2);
    else hsum = fround(fround(gc - rc) + 4);
    // fmod(x, 1) of a positive x is x − ⌊x⌋, exact.
    const h0 = fround(fround(hsum / 6) + 1);
    const shifted = fround(h0 - Math.trunc(h0) + F);
    // remainder(x, 1): fmod, then + 1 (rounded) when negative.
    let hh = shifted - Math.trunc(shifted);
    if (hh < 0) hh = fround(hh + 1);
    const h6 = fround(hh * 6);
    const i0 = Math.floor(h6);
    const f = fround(h6 - i0);
    const v = maxc;
    const pp = Math.min(Math.max(fround(v * fround(1 - s)), 0), 1);
    const q = Math.min(Math.max(fround(v * fround(1 - fround(s * f))), 0), 1);
    const t = Math.min(Math.max(fround(v * fround(1 - fround(s * fround(1 - f)))), 0), 1);
    let R = v;
    let G = t;
    let B = pp;
    switch (((i0 % 6) + 6) % 6) {
      case 1:
        R = q;
        G = v;
        break;
      case 2:
        R = pp;
        G = v;
        B = t;
        break;
      case 3:
        R = pp;
        G = q;
        B = v;
        break;
      case 4:
        R = t;
        G = pp;
        B = v;
        break;
      case 5:
        G = pp;
        B = q;
        break;
    }
    data[offset + i] = Math.trunc(fround(R * 255));
    data[offset + n + i] = Math.trunc(fround(G * 255));
    data[offset + 2 * n + i] = Math.trunc(fround(B * 255));
  }
}

export function solarizeBytes(p: Planes, threshold: number): void {
  const end = p.offset + p.c * p.h * p.w;
  for (let i = p.offset; i < end; i++) if (p.data[i] >= threshold) p.data[i] = 255 - p.data[i];
}
