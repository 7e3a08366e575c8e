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
  const [a0, a1, a2, a3, a4, a5] = matrix;
  if (filter === 'nearest') {
    // Which input pixel each output pixel takes (−1: none, the fill stays), then every channel.
    const from = new Int32Array(n).fill(-1);
    const take = (x: number, y: number, xi: number, yi: number) => {
      from[y * w + x] = yi * w + xi;
    };
    if (a1 === 0 && a3 === 0) scaleNearest(matrix, w, h, take);
    else if ([0, h].every((y) => [0, w].every((x) => fitsFixed(matrix, x, y)))) fixedNearest(matrix, w, h, take);
    else {
      let xo = a2 + a1 * 0.5 + a0 * 0.5;
      let yo = a5 + a4 * 0.5 + a3 * 0.5;
      for (let y = 0; y < h; y++) {
        let xx = xo;
        let yy = yo;
        for (let x = 0; x < w; x++) {
          const xin = coord(xx);
          const yin = coord(yy);
          if (xin >= 0 && xin < w && yin >= 0 && yin < h) take(x, y, xin, yin);
          xx += a0;
          yy += a3;
        }
        xo += a1;
        yo += a4;
      }
    }
    for (let k = 0; k < c; k++) {
      const base = k * n;
      for (let i = 0; i < n; i++) if (from[i] >= 0) out[base + i] = src[base + from[i]];
    }
    return;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xin = a0 * (x + 0.5) + a1 * (y + 0.5) + a2;
      const yin = a3 * (x + 0.5) + a4 * (y + 0.5) + a5;
      if (xin < 0 || xin >= w || yin < 0 || yin >= h) continue;
      if (filter === 'bilinear') bilinearAt(src, out, c, w, h, y * w + x, xin - 0.5, yin - 0.5);
      else bicubicAt(src, out, c, w, h, y * w + x, xin - 0.5, yin - 0.5);
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

/**
 * `bilinear_filter32RGB` (and `…8`): output pixel `at` of every channel from the input point
 * (xf, yf) (already shifted by −½); rows beyond the image repeat the one before.
 */
function bilinearAt(src: Uint8Array, out: Uint8Array, c: number, w: number, h: number, at: number, xf: number, yf: number): void {
  const x = floorInt(xf);
  const y = floorInt(yf);
  const dx = xf - x;
  const dy = yf - y;
  const x0 = clampIndex(x, w);
  const x1 = clampIndex(x + 1, w);
  const r0 = clampIndex(y, h) * w;
  const next = y + 1 >= 0 && y + 1 < h;
  const r1 = (y + 1) * w;
  const n = h * w;
  for (let k = 0, base = 0; k < c; k++, base += n) {
    const v1 = src[base + r0 + x0] + (src[base + r0 + x1] - src[base + r0 + x0]) * dx;
    const v2 = next ? src[base + r1 + x0] + (src[base + r1 + x1] - src[base + r1 + x0]) * dx : v1;
    // A Uint8Array store truncates, as the C cast does (the value lies within [0, 255]).
    out[base + at] = v1 + (v2 - v1) * dy;
  }
}

/** Pillow's cubic through four samples at fraction d (its a = −1 kernel, Horner form). */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/** The cubic along the row starting at `row` through columns x0…x3. */
function cubicRow(src: Uint8Array, row: number, x0: number, x1: number, x2: number, x3: number, d: number): number {
  return cubic(src[row + x0], src[row + x1], src[row + x2], src[row + x3], d);
}

/**
 * `bicubic_filter32RGB` (and `…8`): as `bilinearAt` with 4 × 4 taps, edge columns repeated, rows
 * beyond the image repeating the one before, the result clipped to [0, 255].
 */
function bicubicAt(src: Uint8Array, out: Uint8Array, c: number, w: number, h: number, at: number, xf: number, yf: number): void {
  const x = floorInt(xf) - 1;
  const y = floorInt(yf) - 1;
  const dx = xf - (x + 1);
  const dy = yf - (y + 1);
  const x0 = clampIndex(x, w);
  const x1 = clampIndex(x + 1, w);
  const x2 = clampIndex(x + 2, w);
  const x3 = clampIndex(x + 3, w);
  const r0 = clampIndex(y, h) * w;
  const ok1 = y + 1 >= 0 && y + 1 < h;
  const ok2 = y + 2 >= 0 && y + 2 < h;
  const ok3 = y + 3 >= 0 && y + 3 < h;
  const n = h * w;
  for (let k = 0, base = 0; k < c; k++, base += n) {
    const v1 = cubicRow(src, base + r0, x0, x1, x2, x3, dx);
    const v2 = ok1 ? cubicRow(src, base + (y + 1) * w, x0, x1, x2, x3, dx) : v1;
    const v3 = ok2 ? cubicRow(src, base + (y + 2) * w, x0, x1, x2, x3, dx) : v2;
    const v4 = ok3 ? cubicRow(src, base + (y + 3) * w, x0, x1, x2, x3, dx) : v3;
    out[base + at] = Math.min(255, Math.max(0, cubic(v1, v2, v3, v4, dy)));
  }
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
