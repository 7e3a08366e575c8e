/** A decoded image: 8-bit samples, row-major, channels last (`(H, W, C)`, as PIL/numpy hold it). */
export interface Image {
  data: Uint8Array;
  width: number;
  height: number;
  /** 3 for RGB, 1 for grayscale. */
  channels: 1 | 3;
}

/** One dataset item: the image, its class index when labelled, and its index in the dataset. */
export interface Sample {
  img: Image;
  label?: number;
  idx: number;
}

/** Wraps raw `(H, W, C)` bytes (copied if `copy`) as an Image, checking the size. */
export function makeImage(data: Uint8Array, width: number, height: number, channels: 1 | 3): Image {
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `image data holds ${data.length} bytes, ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
  return { data, width, height, channels };
}

/** Checks that a crop box `[top, left, h, w]` lies inside `img` and that the output size is valid; `op` names the caller. */
export function checkCropBox(img: Image, box: [number, number, number, number], outH: number, outW: number, op: string): void {
  const [top, left, h, w] = box;
  if (top < 0 || left < 0 || h < 1 || w < 1 || top + h > img.height || left + w > img.width)
    throw new RangeError(`${op}: box ${box} outside the ${img.height}×${img.width} image`);
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1)
    throw new RangeError(`${op}: output size ${outH}×${outW} must be positive integers`);
}
