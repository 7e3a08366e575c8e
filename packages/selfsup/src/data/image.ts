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
