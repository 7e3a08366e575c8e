/**
 * Colour and flip transforms on one `(C, H, W)` uint8 image held in JS memory, computing exactly
 * what the tensor versions in functional.ts compute: every libtorch elementwise float32 op is one
 * correctly rounded IEEE operation, so the same sequence of float32 operations gives the same
 * numbers (the grey mean of a uint8 image is a sum of integers below 2^24, exact in any order). The
 * colour ops run in the pixel addon (colour.cc), one pass per op over the image instead of a dozen
 * libtorch ops on the batch; tests compare them with the tensor versions.
 */
import { pixelKernels, TV_COLOR_OPS } from '../pixels-native.js';

/** A `(C, H, W)` uint8 image: `data` holds `c` planes of `h × w` from `offset`. */
export interface Planes {
  data: Uint8Array;
  offset: number;
  c: number;
  h: number;
  w: number;
}

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

function run(op: keyof typeof TV_COLOR_OPS, p: Planes, factor = 0): void {
  pixelKernels().tvColor(TV_COLOR_OPS[op], p.data, p.offset, p.c, p.h, p.w, factor);
}

/** Greyscale kept as 3 equal channels (`rgbToGrayscale(img, 3)`: ITU-R 601-2 luma in float32, truncated). */
export function greyscaleBytes(p: Planes): void {
  run('greyscale', p);
}

/** `blend(img, 0, factor)`: img·r, clamped, truncated — a function of the byte alone, so a table. */
export function brightnessBytes(p: Planes, factor: number): void {
  run('brightness', p, factor);
}

/** `blend(img, mean(grey(img)), factor)`; the mean of a uint8 image is exact in any order. */
export function contrastBytes(p: Planes, factor: number): void {
  run('contrast', p, factor);
}

/** `blend(img, grey(img), factor)`. */
export function saturationBytes(p: Planes, factor: number): void {
  run('saturation', p, factor);
}

/** `adjustHue`: RGB → HSV, hue shifted by `factor` of a turn, back, ×255 truncated — torchvision's ops in order. */
export function hueBytes(p: Planes, factor: number): void {
  run('hue', p, factor);
}

export function solarizeBytes(p: Planes, threshold: number): void {
  const end = p.offset + p.c * p.h * p.w;
  for (let i = p.offset; i < end; i++) if (p.data[i] >= threshold) p.data[i] = 255 - p.data[i];
}
