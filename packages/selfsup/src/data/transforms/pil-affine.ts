/**
 * Pillow's affine warps, as RandAugment's geometric ops call them (timm's `auto_augment.py`:
 * `img.transform(size, Image.AFFINE, (a, b, c, d, e, f), resample, fillcolor=…)` for shear and
 * translate, `img.rotate(angle, resample, fillcolor=…)` for rotate), on one `(C, H, W)` uint8 image
 * in JS memory, byte-identical to Pillow 9.4 (Debian 12's) src/libImaging/Geometry.c. Output pixel
 * (x, y) samples the input at `(a·(x + ½) + b·(y + ½) + c, d·(x + ½) + e·(y + ½) + f)`; pixels whose
 * sample falls outside the image keep the fill colour. Pillow's engines, each reproduced:
 * - nearest, no rotation/shear terms (`b = d = 0`): a pre-tabulated scale (`ImagingScaleAffine`);
 * - nearest otherwise: 16.16 fixed point when the corners fit (`affine_fixed`), else doubles;
 * - bilinear and bicubic: the generic engine, double precision, edge pixels repeated, truncated
 *   (bicubic: Pillow's a = −1 cubic, clipped to [0, 255]).
 */
import type { Planes } from './bytes.js';

/** Pillow's resampling filters for transforms (`Image.transform` takes no other). */
export type PilTransformFilter = 'nearest' | 'bilinear' | 'bicubic';

/** Pillow's `COORD`: −1 for negatives, else truncation. */
const coord = (v: number): number => (v < 0 ? -1 : Math.trunc(v));

function checkFill(p: Planes, fill: readonly number[], what: string): void {
  if (p.c !== 1 && p.c !== 3) throw new RangeError(`${what}: Pillow's L or RGB images have 1 or 3 channels, got ${p.c}`);
  if (fill.length !== p.c) throw new RangeError(`${what}: fill has ${fill.length} values for ${p.c} channels`);
}

/**
 * `img.transform(img.size, Image.AFFINE, matrix, resample, fillcolor=fill)` in place: `matrix` is
 * Pillow's `(a, b, c, d, e, f)` from output to input coordinates, `fill` one byte per channel.
 */
export function pilAffineBytes(
  p: Planes,
  matrix: readonly [number, number, number, number, number, number],
  filter: PilTransformFilter,
  fill: readonly number[],
): void {
  checkFill(p, fill, 'pilAffineBytes');
  const { c, h, w } = p;
  const n = h * w;
  const src = p.data.slice(p.offset, p.offset + c * n);
  const out = p.data.subarray(p.offset, p.offset + c * n);
  for (let k = 0; k < c; k++) out.fill(fill[k], k * n, (k + 1) * n);
  // Writes input pixel (xi, yi) to output pixel (x, y) in every channel.
  const copy = (x: number, y: number, xi: number, yi: number) => {
    for (let k = 0; k < c; k++) out[k * n + y * w + x] = src[k * n + yi * w + xi];
  };
  const [a0, a1, a2, a3, a4, a5] = matrix;
  if (filter === 'nearest') {
    if (a1 === 0 && a3 === 0) scaleNearest(matrix, w, h, copy);
    else if ([0, h].every((y) => [0, w].every((x) => fitsFixed(matrix, x, y)))) fixedNearest(matrix, w, h, copy);
    else {
      let xo = a2 + a1 * 0.5 + a0 * 0.5;
      let yo = a5 + a4 * 0.5 + a3 * 0.5;
      for (let y = 0; y < h; y++) {
        let xx = xo;
        let yy = yo;
        for (let x = 0; x < w; x++) {
          const xin = coord(xx);
          const yin = coord(yy);
          if (xin >= 0 && xin < w && yin >= 0 && yin < h) copy(x, y, xin, yin);
          xx += a0;
          yy += a3;
        }
        xo += a1;
        yo += a4;
      }
    }
    return;
  }
  const sample = filter === 'bilinear' ? bilinearAt : bicubicAt;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xin = a0 * (x + 0.5) + a1 * (y + 0.5) + a2;
      const yin = a3 * (x + 0.5) + a4 * (y + 0.5) + a5;
      if (xin < 0 || xin >= w || yin < 0 || yin >= h) continue;
      for (let k = 0; k < c; k++) out[k * n + y * w + x] = sample(src, k * n, w, h, xin, yin);
    }
  }
}

/** `ImagingScaleAffine`: source columns tabulated once, rows stepped by `e`, both in doubles. */
function scaleNearest(
  m: readonly number[],
  w: number,
  h: number,
  copy: (x: number, y: number, xi: number, yi: number) => void,
): void {
  const xin = new Int32Array(w).fill(-1);
  let xo = m[2] + m[0] * 0.5;
  for (let x = 0; x < w; x++) {
    const v = coord(xo);
    if (v >= 0 && v < w) xin[x] = v;
    xo += m[0];
  }
  let yo = m[5] + m[4] * 0.5;
  for (let y = 0; y < h; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < h) for (let x = 0; x < w; x++) if (xin[x] >= 0) copy(x, y, xin[x], yi);
    yo += m[4];
  }
}

/** Pillow's `check_fixed`: the mapped point fits 16.16 fixed point. */
function fitsFixed(m: readonly number[], x: number, y: number): boolean {
  return Math.abs(x * m[0] + y * m[1] + m[2]) < 32768 && Math.abs(x * m[3] + y * m[4] + m[5]) < 32768;
}

/** Pillow's `FLOOR` of a double, as the C int it stores. */
const floorInt = (v: number): number => (v < 0 ? Math.floor(v) : Math.trunc(v)) | 0;

/** `affine_fixed`: coordinates in 16.16 fixed point, stepped by integer additions. */
function fixedNearest(
  m: readonly number[],
  w: number,
  h: number,
  copy: (x: number, y: number, xi: number, yi: number) => void,
): void {
  const fix = (v: number) => floorInt(v * 65536 + 0.5);
  const a0 = fix(m[0]);
  const a1 = fix(m[1]);
  const a3 = fix(m[3]);
  const a4 = fix(m[4]);
  let a2 = fix(m[2] + m[0] * 0.5 + m[1] * 0.5);
  let a5 = fix(m[5] + m[3] * 0.5 + m[4] * 0.5);
  for (let y = 0; y < h; y++) {
    let xx = a2;
    let yy = a5;
    for (let x = 0; x < w; x++) {
      // Arithmetic shifts, as C's on ints: negatives stay negative.
      const xin = xx >> 16;
      if (xin >= 0 && xin < w) {
        const yin = yy >> 16;
        if (yin >= 0 && yin < h) copy(x, y, xin, yin);
      }
      xx = (xx + a0) | 0;
      yy = (yy + a3) | 0;
    }
    a2 = (a2 + a1) | 0;
    a5 = (a5 + a4) | 0;
  }
}

const clampIndex = (v: number, size: number): number => (v < 0 ? 0 : v < size ? v : size - 1);

/** `bilinear_filter32RGB` (and `…8`) for one channel at input point (xin, yin). */
function bilinearAt(src: Uint8Array, base: number, w: number, h: number, xin: number, yin: number): number {
  const xf = xin - 0.5;
  const yf = yin - 0.5;
  const x = floorInt(xf);
  const y = floorInt(yf);
  const dx = xf - x;
  const dy = yf - y;
  const x0 = clampIndex(x, w);
  const x1 = clampIndex(x + 1, w);
  let row = base + clampIndex(y, h) * w;
  const v1 = src[row + x0] + (src[row + x1] - src[row + x0]) * dx;
  let v2 = v1;
  if (y + 1 >= 0 && y + 1 < h) {
    row = base + (y + 1) * w;
    v2 = src[row + x0] + (src[row + x1] - src[row + x0]) * dx;
  }
  // A Uint8Array store truncates, as the C cast does (the value is within [0, 255]).
  return v1 + (v2 - v1) * dy;
}

/** Pillow's cubic through four samples at fraction d (its a = −1 kernel, Horner form). */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/** `bicubic_filter32RGB` (and `…8`) for one channel: rows beyond the image repeat the previous one. */
function bicubicAt(src: Uint8Array, base: number, w: number, h: number, xin: number, yin: number): number {
  const xf = xin - 0.5;
  const yf = yin - 0.5;
  const x = floorInt(xf) - 1;
  const y = floorInt(yf) - 1;
  const dx = xf - (x + 1);
  const dy = yf - (y + 1);
  const xs = [clampIndex(x, w), clampIndex(x + 1, w), clampIndex(x + 2, w), clampIndex(x + 3, w)];
  const at = (r: number) => {
    const row = base + r * w;
    return cubic(src[row + xs[0]], src[row + xs[1]], src[row + xs[2]], src[row + xs[3]], dx);
  };
  const v1 = at(clampIndex(y, h));
  const v2 = y + 1 >= 0 && y + 1 < h ? at(y + 1) : v1;
  const v3 = y + 2 >= 0 && y + 2 < h ? at(y + 2) : v2;
  const v4 = y + 3 >= 0 && y + 3 < h ? at(y + 3) : v3;
  const v = cubic(v1, v2, v3, v4, dy);
  return Math.min(255, Math.max(0, v));
}

/** Python's `round(x, 15)`: the nearest double to x rounded to 15 decimals. */
const round15 = (x: number): number => Number(x.toFixed(15));

/**
 * `img.rotate(angle, resample, fillcolor=fill)` in place (counter-clockwise degrees, about the
 * centre, same size): 0° copies, 180° (and 90°/270° of a square image) transpose exactly, other
 * angles go through `pilAffineBytes` with Pillow's matrix (cos and sin rounded to 15 decimals).
 */
export function pilRotateBytes(p: Planes, angle: number, filter: PilTransformFilter, fill: readonly number[]): void {
  checkFill(p, fill, 'pilRotateBytes');
  // Python's modulo: the result takes the divisor's sign.
  const deg = ((angle % 360) + 360) % 360;
  const { c, h, w } = p;
  const n = h * w;
  if (deg === 0) return;
  const transpose = deg === 180 || ((deg === 90 || deg === 270) && w === h);
  if (transpose) {
    const src = p.data.slice(p.offset, p.offset + c * n);
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          // Where output (x, y) comes from: ROTATE_180, ROTATE_90 (counter-clockwise), ROTATE_270.
          const [xi, yi] = deg === 180 ? [w - 1 - x, h - 1 - y] : deg === 90 ? [w - 1 - y, x] : [y, h - 1 - x];
          p.data[p.offset + k * n + y * w + x] = src[k * n + yi * w + xi];
        }
    return;
  }
  const rad = -(deg * (Math.PI / 180));
  const cos = round15(Math.cos(rad));
  const sin = round15(Math.sin(rad));
  const m: [number, number, number, number, number, number] = [cos, sin, 0, round15(-Math.sin(rad)), cos, 0];
  const [cx, cy] = [w / 2, h / 2];
  m[2] = m[0] * -cx + m[1] * -cy + 0 + cx;
  m[5] = m[3] * -cx + m[4] * -cy + 0 + cy;
  pilAffineBytes(p, m, filter, fill);
}
