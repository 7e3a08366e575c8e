/**
 * The pixel-kernel addon (native/: addon.cc registers the kernels of jpeg.cc, resample.cc,
 * colour.cc and blur.cc): JPEG decoding with libjpeg-turbo, the passes of libtorch's antialiased
 * resampling (the tensor backend's crop), and the inner loops of the `pillow` backends — Pillow's
 * fixed-point resampling, torchvision's colour ops on PIL images and Pillow's Gaussian blur — in
 * C++, where PIL's own are, so that a 224 px view costs what it costs PIL. `scripts/setup.sh`
 * builds it next to @selfsup/torch's addon.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCropBox, type Image } from './image.js';

/** Per output index of one axis: first source index, tap count and `stride` fixed-point weights each. */
export interface FixedTaps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  stride: number;
}

/** Per output index of one axis: first source index, tap count and `taps` float32 weights each (libtorch's). */
export interface FloatTaps {
  min: Int32Array;
  size: Int32Array;
  weights: Float32Array;
  taps: number;
}

/** Colour ops of `pilColor` and `tvColor`, in their numbering. */
export const PIL_COLOR_OPS = { brightness: 0, contrast: 1, saturation: 2, hue: 3, greyscale: 4 } as const;
export const TV_COLOR_OPS = PIL_COLOR_OPS;

/** The leading arguments of the crop kernels: an `(H, W, C)` image, the crop box and the output size. */
export type CropArgs = [
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
];

/** `CropArgs` for a crop of `img`, after checking that the box lies inside it (`op` names the caller). */
export function cropArgs(img: Image, box: [number, number, number, number], outH: number, outW: number, op: string): CropArgs {
  checkCropBox(img, box, outH, outW, op);
  const [top, left, h, w] = box;
  return [img.data, img.height, img.width, img.channels, top, left, h, w, outH, outW];
}

export interface PixelKernels {
  /** The `(H, W, C)` pixels of a plain JPEG (no EXIF, ICC or Adobe transform; intact), else null. */
  decodeJpeg(bytes: Uint8Array, channels: 1 | 3): { data: Uint8Array; width: number; height: number } | null;
  resizedCropInto(...args: [...CropArgs, tx: FixedTaps | null, ty: FixedTaps | null, out: Uint8Array, offset: number]): void;
  /** libtorch's antialiased resampling passes (resample.ts has the weights and the summation). */
  aaResizedCropInto(
    ...args: [
      ...CropArgs,
      tx: FloatTaps | null,
      ty: FloatTaps | null,
      chunkX: number,
      fusedX: boolean,
      chunkY: number,
      fusedY: boolean,
      clampFirst: boolean,
      out: Uint8Array,
      offset: number,
    ]
  ): void;
  aaHorizontal(
    src: Uint8Array,
    offset: number,
    step: number,
    taps: FloatTaps,
    chunk: number,
    fused: boolean,
    out: Float32Array,
    outOffset: number,
  ): void;
  aaVertical(
    src: Float32Array,
    offset: number,
    width: number,
    taps: FloatTaps,
    chunk: number,
    fused: boolean,
    out: Float32Array,
  ): void;
  pilColor(op: number, data: Uint8Array, offset: number, c: number, h: number, w: number, factor: number): void;
  /** torchvision's colour ops on uint8 tensors (the default backend's), in float32 as libtorch computes them. */
  tvColor(op: number, data: Uint8Array, offset: number, c: number, h: number, w: number, factor: number): void;
  pilBoxBlur(data: Uint8Array, offset: number, c: number, h: number, w: number, r: number, ww: number, fw: number): void;
  /** Puts the calling thread in Linux's SCHED_IDLE class (native/thread.cc); false where that is not possible. */
  setThreadIdlePriority(): boolean;
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
