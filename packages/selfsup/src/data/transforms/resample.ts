/**
 * Crop-and-resize of 8-bit `(H, W, C)` images in JS memory with libtorch's antialiased bilinear /
 * bicubic kernel (`_upsample_{bilinear,bicubic}2d_aa`, what torchvision's `resized_crop(…,
 * antialias=True)` runs): the same float32 weights (computed here), the width pass then the height
 * pass (in the pixel addon, resample.cc), then torchvision's uint8 rounding. It spares a dozen
 * libtorch calls per image and view in RandomResizedCrop.
 *
 * libtorch sums each output's taps in float32, but how (which products are fused into FMAs, in
 * which groups) depends on how that libtorch was compiled and on the CPU's kernel dispatch. The
 * summation is therefore not assumed: `calibrate` probes the running libtorch once, tries the known
 * patterns, and the JS path is used only when one reproduces libtorch bit for bit; otherwise
 * callers keep to libtorch.
 */
import * as torch from '@selfsup/torch';
import type { Image } from '../image.js';
import { cropArgs, type FloatTaps, pixelKernels } from '../pixels-native.js';

const fround = Math.fround;

/** How a kernel sums `t_0·w_0 + t_1·w_1 + …`: after the first product, iterations run in groups of
 * `chunk` with separately rounded products, and the remaining ones fused (FMA) or not. */
export interface Summation {
  chunk: number;
  tailFused: boolean;
}

export type AaMode = 'bilinear' | 'bicubic';

/** PIL-compatible filters (a = −0.5 for bicubic), in float32 as libtorch evaluates them. */
function linear(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? fround(1 - a) : 0;
}

function cubic(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return fround(fround(fround(fround(fround(1.5 * a) - 2.5) * a) * a) + 1);
  if (a < 2) return fround(fround(fround(fround(fround(fround(-0.5 * a) + 2.5) * a) - 4) * a) + 2);
  return 0;
}

const tapCache = new Map<string, FloatTaps>();

/** The weights libtorch computes for resampling `inSize` → `outSize` samples along one axis. */
function taps(inSize: number, outSize: number, mode: AaMode): FloatTaps {
  const key = `${inSize},${outSize},${mode}`;
  const hit = tapCache.get(key);
  if (hit) return hit;
  const interp = mode === 'bilinear' ? 2 : 4;
  const filter = mode === 'bilinear' ? linear : cubic;
  const scale = fround(inSize / outSize);
  const support = scale >= 1 ? fround(interp * 0.5 * scale) : interp * 0.5;
  const invscale = scale >= 1 ? fround(1 / scale) : 1;
  const n = Math.ceil(support) * 2 + 1;
  const min = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const weights = new Float32Array(outSize * n);
  for (let i = 0; i < outSize; i++) {
    const center = fround(scale * (i + 0.5));
    const lo = Math.max(Math.trunc(fround(center - support) + 0.5), 0);
    const hi = Math.min(Math.trunc(fround(center + support) + 0.5), inSize);
    min[i] = lo;
    size[i] = hi - lo;
    let total = 0;
    for (let j = 0; j < hi - lo; j++) {
      const w = filter(fround((fround(j + lo - center) + 0.5) * invscale));
      weights[i * n + j] = w;
      total = fround(total + w);
    }
    if (total !== 0) for (let j = 0; j < hi - lo; j++) weights[i * n + j] = fround(weights[i * n + j] / total);
  }
  const t = { min, size, weights, taps: n };
  if (tapCache.size > 4096) tapCache.clear();
  tapCache.set(key, t);
  return t;
}

/** A summation's group size as the addon takes it (no groups: the largest int32). */
const chunkArg = (s: Summation) => (Number.isFinite(s.chunk) ? s.chunk : 2 ** 31 - 1);

/**
 * Crops `[top, left, h, w]` (inside the image) and resizes it to `outH × outW` with summations
 * `[widthPass, heightPass]`, writing `(C, outH, outW)` bytes into `out` at `offset`.
 */
export function resizedCropInto(
  img: Image,
  box: [number, number, number, number],
  outH: number,
  outW: number,
  mode: AaMode,
  sums: [Summation, Summation],
  out: Uint8Array,
  offset: number,
): void {
  const [h, w] = [box[2], box[3]];
  // libtorch skips an axis whose size does not change; its weights would be the identity anyway.
  pixelKernels().aaResizedCropInto(
    ...cropArgs(img, box, outH, outW, 'resizedCropInto'),
    w === outW ? null : taps(w, outW, mode),
    h === outH ? null : taps(h, outH, mode),
    chunkArg(sums[0]),
    sums[0].tailFused,
    chunkArg(sums[1]),
    sums[1].tailFused,
    mode === 'bicubic',
    out,
    offset,
  );
}

const CANDIDATES: Summation[] = [4, 8, 16, Number.POSITIVE_INFINITY].flatMap((chunk) =>
  [true, false].map((tailFused) => ({ chunk, tailFused })),
);

let calibrated: Map<AaMode, [Summation, Summation] | null> | null = null;

/**
 * The summations `[widthPass, heightPass]` that reproduce the running libtorch's kernel for
 * `mode`, or null when none does (then use libtorch). Found once per process by resampling a few
 * random rows and columns both ways and comparing the float32 results exactly.
 */
export function calibrate(mode: AaMode): [Summation, Summation] | null {
  calibrated ??= new Map();
  if (calibrated.has(mode)) return calibrated.get(mode) as [Summation, Summation] | null;
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  // Sizes that give 1 to ~40 taps, so every group boundary is crossed.
  const cases: [number, number][] = [
    [7, 23],
    [23, 7],
    [40, 4],
    [41, 11],
    [58, 17],
    [97, 5],
    [64, 3],
    [33, 32],
    [5, 9],
    [80, 2],
  ];
  // Several lines per probe: a kernel may vectorise across them and sum edge lines differently.
  const lines = 37;
  const found = ([0, 1] as const).map((axis) => {
    const ok = [...CANDIDATES];
    for (const [n, m] of cases) {
      const data = Float32Array.from({ length: lines * n }, () => Math.floor(rand() * 256));
      const ref = torch.tidy(() => {
        const x = torch.tensor(data, { shape: [1, 1, lines, n] });
        const input = axis === 0 ? x : x.transpose(2, 3).contiguous();
        const size: [number, number] = axis === 0 ? [lines, m] : [m, lines];
        const y = torch.F.interpolate(input, { size, mode, alignCorners: false, antialias: true });
        return (axis === 0 ? y : y.transpose(2, 3).contiguous()).toTypedArray() as Float32Array;
      });
      const t = taps(n, m, mode);
      const bytes = Uint8Array.from(data);
      const kernels = pixelKernels();
      for (let k = ok.length - 1; k >= 0; k--) {
        const got = new Float32Array(lines * m);
        const [chunk, fused] = [chunkArg(ok[k]), ok[k].tailFused];
        if (axis === 0) for (let l = 0; l < lines; l++) kernels.aaHorizontal(bytes, l * n, 1, t, chunk, fused, got, l * m);
        else {
          // The probe's columns as rows of the transposed image: n rows of `lines` samples.
          const rows = new Float32Array(n * lines);
          for (let l = 0; l < lines; l++) for (let i = 0; i < n; i++) rows[i * lines + l] = data[l * n + i];
          const res = new Float32Array(m * lines);
          kernels.aaVertical(rows, 0, lines, t, chunk, fused, res);
          for (let l = 0; l < lines; l++) for (let i = 0; i < m; i++) got[l * m + i] = res[i * lines + l];
        }
        if (got.some((v, i) => v !== ref[i])) ok.splice(k, 1);
      }
    }
    return ok[0] ?? null;
  });
  const result = found[0] && found[1] ? ([found[0], found[1]] as [Summation, Summation]) : null;
  calibrated.set(mode, result);
  return result;
}
