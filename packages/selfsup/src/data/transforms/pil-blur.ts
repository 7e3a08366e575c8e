/**
 * Pillow's `ImageFilter.GaussianBlur(radius)` on 8-bit images, reproduced byte for byte: what
 * MMSelfSup's `RandomGaussianBlur` computes through PIL. Pillow approximates a Gaussian of standard
 * deviation σ = radius by three passes of an "extended" box filter per axis (Gwosdek et al., "Theoretical
 * Foundations of Gaussian Convolution by Extended Box Filtering", SSVM 2011): a box of integer radius
 * r plus a fractional weight on the two pixels just outside it, with σ² split evenly over the passes.
 * The weights are 24-bit fixed-point integers derived in float32 arithmetic; every pass rounds back
 * to uint8, and pixels beyond the border repeat the edge pixel. Rows are blurred first, then columns
 * (Pillow transposes and blurs rows again, which is the same). Channels never mix, so the planar
 * `(C, H, W)` layout of the loader is blurred plane by plane. Follows Pillow 9.4's
 * src/libImaging/BoxBlur.c; the tests compare with Debian's PIL 9.4. The weights are derived here,
 * the passes run in the pixel addon (blur.cc: one extended box pass along a line computes
 * `(Σ_{|i−x|≤r} in[i]·ww + (in[x−r−1] + in[x+r+1])·fw + 2^23) >> 24` with the edge pixel repeated,
 * in wrapping uint32 arithmetic).
 */
import type { Planes } from './bytes.js';
import { pixelKernels } from '../pixels-native.js';

const f32 = Math.fround;
/** Pillow's three box passes per axis. */
const PASSES = 3;
/** Weights have 24 fractional bits; a byte times the whole weight (≤ 255·2^24) fits in uint32. */
const ONE = 1 << 24;

/**
 * The extended box radius (integer part + fraction) whose `PASSES`-fold repetition has variance σ²,
 * in the precision Pillow uses: float32 variables, with only the square root taken in double.
 */
function pilBoxRadius(sigma: number): number {
  const s = f32(sigma);
  const sigma2 = f32(f32(s * s) / PASSES);
  // Box length L (paper eq. 7): the argument is formed in double, the result stored in a float.
  const L = f32(Math.sqrt(12 * sigma2 + 1));
  const l = f32(Math.floor((L - 1) / 2));
  // Fractional part (eq. 14); each float32 operation rounds.
  const num = f32(f32(f32(2 * l) + 1) * f32(f32(l * f32(l + 1)) - f32(3 * sigma2)));
  const den = f32(6 * f32(sigma2 - f32(f32(l + 1) * f32(l + 1))));
  return f32(l + f32(num / den));
}

/** Integer box radius and fixed-point weights of the inner pixels (`ww`) and the two outer ones (`fw`). */
interface BoxWeights {
  r: number;
  ww: number;
  fw: number;
}

function boxWeights(radius: number): BoxWeights {
  const r = Math.trunc(radius);
  // ONE / (2·radius + 1) in float32, truncated to an unsigned int.
  const ww = Math.trunc(f32(ONE / f32(f32(radius * 2) + 1)));
  // What the box of 2r + 1 whole weights leaves, split over the two outer pixels. Unsigned 32-bit
  // arithmetic as in C: should float rounding make (2r + 1)·ww exceed ONE, it wraps like Pillow's.
  const fw = ((ONE - Math.imul(2 * r + 1, ww)) >>> 0) >>> 1;
  return { r, ww, fw };
}

/**
 * Pillow's `GaussianBlur(radius)` (three extended box-blur passes along rows, then three along
 * columns, see the module comment): in place on one `(C, H, W)` uint8 image. `radius` is the
 * Gaussian's standard deviation in pixels; 0 leaves the image unchanged.
 */
export function pilGaussianBlurBytes(p: Planes, radius: number): void {
  if (!(radius >= 0) || !Number.isFinite(radius))
    throw new RangeError(`pilGaussianBlurBytes: radius must be finite and >= 0, got ${radius}`);
  const { data, offset, c, h, w } = p;
  const box = pilBoxRadius(radius);
  // Beyond ~1.8e19 σ² overflows float32 and Pillow's box radius is NaN.
  if (!Number.isFinite(box)) throw new RangeError(`pilGaussianBlurBytes: radius ${radius} is too large`);
  // A zero box has ww = 2^24, fw = 0: every pass is the identity.
  if (box === 0 || h === 0 || w === 0) return;
  const { r, ww, fw } = boxWeights(box);
  pixelKernels().pilBoxBlur(data, offset, c, h, w, r, ww, fw);
}
