/**
 * torchvision's colour transforms on PIL images — `ImageEnhance.Brightness/Contrast/Color`,
 * `adjust_hue` through PIL's HSV mode, `convert('L')` — on one `(C, H, W)` uint8 image in JS
 * memory, byte-identical to Pillow 9.4 (Debian 12's). This is the `backend: 'pillow'` of
 * ColorJitter and RandomGrayscale: what a torchvision pipeline on PIL images computes, in integer
 * and float32 arithmetic that needs no float copy of the image, run by the pixel addon
 * (colour.cc).
 *
 * Pillow's arithmetic, op by op (Blend.c, Convert.c): a blend is `in1 + α·(in2 − in1)` in float32
 * (α rounded to float32), clipped and truncated; grey is ITU-R 601-2 luma in 16-bit fixed point,
 * rounded; HSV keeps H, S and V as bytes, so a hue shift is a byte addition modulo 256.
 */
import type { Planes } from './bytes.js';
import { PIL_COLOR_OPS, pixelKernels } from '../pixels-native.js';

function run(op: keyof typeof PIL_COLOR_OPS, p: Planes, factor = 0): void {
  pixelKernels().pilColor(PIL_COLOR_OPS[op], p.data, p.offset, p.c, p.h, p.w, factor);
}

/** torchvision's PIL `to_grayscale(img, 3)`: `convert('L')` (`(19595 R + 38470 G + 7471 B + 2^15) >> 16`) in all three channels. */
export function pilGreyscaleBytes(p: Planes): void {
  run('greyscale', p);
}

/** `ImageEnhance.Brightness(img).enhance(factor)`: a blend from black. */
export function pilBrightnessBytes(p: Planes, factor: number): void {
  run('brightness', p, factor);
}

/**
 * `ImageEnhance.Contrast(img).enhance(factor)`: a blend from the grey mean, which ImageStat
 * computes from L's histogram and Contrast rounds to an integer (`int(mean + 0.5)`).
 */
export function pilContrastBytes(p: Planes, factor: number): void {
  run('contrast', p, factor);
}

/** `ImageEnhance.Color(img).enhance(factor)`: a blend from the image's own L. */
export function pilSaturationBytes(p: Planes, factor: number): void {
  run('saturation', p, factor);
}

/**
 * torchvision's PIL `adjust_hue`: RGB → HSV (bytes), H += `uint8(factor · 255)` modulo 256, HSV
 * → RGB, with Convert.c's rgb2hsv/hsv2rgb arithmetic (float32 where it declares floats, double
 * where its constants are doubles, `round` half away from zero).
 */
export function pilHueBytes(p: Planes, factor: number): void {
  run('hue', p, factor);
}
