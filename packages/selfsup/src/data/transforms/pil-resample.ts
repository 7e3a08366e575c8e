/**
 * Pillow's resampling of 8-bit images, reproduced byte for byte: Lanczos (a = 3), the filter libtorch
 * lacks (MMSelfSup's `interpolation: 'lanczos'`, BEiT v1's DALL-E tokenizer view), and Pillow's
 * bilinear and bicubic, what torchvision's PIL path computes (`backend: 'pillow'`). Pillow
 * computes each axis's weights in double precision, normalises them to sum 1, turns them into
 * integers with 22 fractional bits, and resizes in two passes (width, then height) with an 8-bit
 * image in between, each output rounded and clipped to [0, 255]; a pass whose size does not change
 * is skipped. The weights are computed here, the passes run in the pixel addon (resample.cc); the
 * result is Pillow's bytes (checked against `PIL.Image.resize` through torchvision in the tests),
 * in integer arithmetic, much cheaper than emulating libtorch's float32 kernels.
 */
import type { Image } from '../image.js';
import { cropArgs, type FixedTaps, pixelKernels } from '../pixels-native.js';

/** The filters implemented here (Pillow's names). */
export type PilFilter = 'bilinear' | 'bicubic' | 'lanczos';

/** Fractional bits of Pillow's fixed-point weights (32 − 8 − 2: room for 8-bit values and overshoot). */
const BITS = 22;
const ONE = 2 ** BITS;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's filters and their supports; bicubic is Keys' cubic with a = −0.5. */
const FILTERS: Record<PilFilter, { fn: (x: number) => number; support: number }> = {
  bilinear: {
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
    support: 1,
  },
  bicubic: {
    fn: (x) => {
      const a = Math.abs(x);
      if (a < 1) return (1.5 * a - 2.5) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * -0.5;
      return 0;
    },
    support: 2,
  },
  lanczos: { fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};

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
  const inv = 1 / stretch;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero before the clamp, as Pillow does.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
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
  const [h, w] = [box[2], box[3]];
  pixelKernels().resizedCropInto(
    ...cropArgs(img, box, outH, outW, 'pilResizedCropInto'),
    w === outW ? null : fixedTaps(w, outW, filter),
    h === outH ? null : fixedTaps(h, outH, filter),
    out,
    offset,
  );
}
