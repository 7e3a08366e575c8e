/**
 * The pixel-kernel addon (native/pixels.cc): JPEG decoding with libjpeg-turbo, and the inner loops
 * of the `pillow` backends — Pillow's fixed-point resampling, torchvision's colour ops on PIL
 * images and Pillow's Gaussian blur — in C++, where PIL's own are, so that a 224 px view costs
 * what it costs PIL. `scripts/setup.sh` builds it next to @selfsup/torch's addon.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Per output index of one axis: first source index, tap count and `stride` fixed-point weights each. */
export interface FixedTaps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  stride: number;
}

/** Colour ops of `pilColor`, in its numbering. */
export const PIL_COLOR_OPS = { brightness: 0, contrast: 1, saturation: 2, hue: 3, greyscale: 4 } as const;

export interface PixelKernels {
  /** The `(H, W, C)` pixels of a plain JPEG (no EXIF, ICC or Adobe transform; intact), else null. */
  decodeJpeg(bytes: Uint8Array, channels: 1 | 3): { data: Uint8Array; width: number; height: number } | null;
  resizedCropInto(
    src: Uint8Array,
    height: number,
    width: number,
    channels: number,
    top: number,
    left: number,
    h: number,
    w: number,
    outH: number,
    outW: number,
    tx: FixedTaps | null,
    ty: FixedTaps | null,
    out: Uint8Array,
    offset: number,
  ): void;
  pilColor(op: number, data: Uint8Array, offset: number, c: number, h: number, w: number, factor: number): void;
  pilBoxBlur(data: Uint8Array, offset: number, c: number, h: number, w: number, r: number, ww: number, fw: number): void;
}

let kernels: PixelKernels | null = null;

/** The addon, loaded on first use; a clear error when it was not built. */
export function pixelKernels(): PixelKernels {
  if (kernels) return kernels;
  // dist/src/data → the package root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const file = join(root, 'build', 'Release', 'selfsup_pixels.node');
  if (!existsSync(file))
    throw new Error(`selfsup's pixel kernels are not built (${file} is missing): run \`bash scripts/setup.sh\``);
  kernels = createRequire(import.meta.url)(file) as PixelKernels;
  return kernels;
}
