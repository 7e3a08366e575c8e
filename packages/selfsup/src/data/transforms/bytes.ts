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

const GREY_R = fround(0.2989);
const GREY_G = fround(0.587);
const GREY_B = fround(0.114);

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
    const r = data[offset + i];
    const gg = data[offset + n + i];
    const b = data[offset + 2 * n + i];
    g[i] = Math.trunc(fround(fround(fround(r * GREY_R) + fround(gg * GREY_G)) + fround(b * GREY_B)));
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

/** `blend(img, other, ratio)`: img·r + other·(1 − r), clamped, truncated; `other(i)` per pixel index. */
function blend(p: Planes, ratio: number, other: (i: number) => number, perChannel: boolean): void {
  const r = fround(ratio);
  const inv = fround(1 - ratio);
  const n = p.h * p.w;
  for (let k = 0; k < p.c; k++) {
    const base = p.offset + k * n;
    for (let i = 0; i < n; i++) {
      const o = fround(other(perChannel ? k * n + i : i) * inv);
      p.data[base + i] = toByte(fround(fround(p.data[base + i] * r) + o));
    }
  }
}

export function brightnessBytes(p: Planes, factor: number): void {
  blend(p, factor, () => 0, false);
}

export function contrastBytes(p: Planes, factor: number): void {
  const n = p.h * p.w;
  let sum = 0;
  if (p.c === 3) {
    const g = grey(p);
    for (let i = 0; i < n; i++) sum += g[i];
  } else for (let i = 0; i < n; i++) sum += p.data[p.offset + i];
  const mean = fround(sum / n);
  blend(p, factor, () => mean, false);
}

export function saturationBytes(p: Planes, factor: number): void {
  if (p.c !== 3) return;
  const g = grey(p);
  blend(p, factor, (i) => g[i], false);
}

/** `adjustHue`: RGB → HSV, hue shifted by `factor` of a turn, back, ×255 truncated — torchvision's ops in order. */
export function hueBytes(p: Planes, factor: number): void {
  if (p.c !== 3) return;
  const { data, offset, h: H, w: W } = p;
  const n = H * W;
  const F = fround(factor);
  for (let i = 0; i < n; i++) {
    const r = fround(data[offset + i] / 255);
    const g = fround(data[offset + n + i] / 255);
    const b = fround(data[offset + 2 * n + i] / 255);
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = fround(maxc - minc);
    const s = fround(cr / (eqc ? 1 : maxc));
    const crDiv = eqc ? 1 : cr;
    const rc = fround(fround(maxc - r) / crDiv);
    const gc = fround(fround(maxc - g) / crDiv);
    const bc = fround(fround(maxc - b) / crDiv);
    const hr = maxc === r ? fround(bc - gc) : 0;
    const hg = maxc === g && maxc !== r ? fround(fround(rc - bc) + 2) : 0;
    const hb = maxc !== g && maxc !== r ? fround(fround(gc - rc) + 4) : 0;
    // fmod(x, 1) of a positive x is x − ⌊x⌋, exact.
    const h0 = fround(fround(fround(fround(hr + hg) + hb) / 6) + 1);
    const h = h0 - Math.trunc(h0);
    const shifted = fround(h + F);
    // remainder(x, 1): fmod, then + 1 (rounded) when negative.
    let hh = shifted - Math.trunc(shifted);
    if (hh < 0) hh = fround(hh + 1);
    const h6 = fround(hh * 6);
    const i0 = Math.floor(h6);
    const f = fround(h6 - i0);
    const sector = ((i0 % 6) + 6) % 6;
    const v = maxc;
    const pp = Math.min(Math.max(fround(v * fround(1 - s)), 0), 1);
    const q = Math.min(Math.max(fround(v * fround(1 - fround(s * f))), 0), 1);
    const t = Math.min(Math.max(fround(v * fround(1 - fround(s * fround(1 - f)))), 0), 1);
    let R: number;
    let G: number;
    let B: number;
    if (sector === 0) [R, G, B] = [v, t, pp];
    else if (sector === 1) [R, G, B] = [q, v, pp];
    else if (sector === 2) [R, G, B] = [pp, v, t];
    else if (sector === 3) [R, G, B] = [pp, q, v];
    else if (sector === 4) [R, G, B] = [t, pp, v];
    else [R, G, B] = [v, pp, q];
    data[offset + i] = Math.trunc(fround(R * 255));
    data[offset + n + i] = Math.trunc(fround(G * 255));
    data[offset + 2 * n + i] = Math.trunc(fround(B * 255));
  }
}

export function solarizeBytes(p: Planes, threshold: number): void {
  const end = p.offset + p.c * p.h * p.w;
  for (let i = p.offset; i < end; i++) if (p.data[i] >= threshold) p.data[i] = 255 - p.data[i];
}
