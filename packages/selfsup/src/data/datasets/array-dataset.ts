/**
 * Datasets held in memory as one `(N, H, W, C)` uint8 block plus labels: MNIST, Fashion-MNIST,
 * CIFAR-10/100 and STL-10 come as such arrays, so no per-image decoding is needed. When a loader
 * starts worker threads, the block moves into a SharedArrayBuffer (once; CIFAR parses straight into
 * one) and the workers read that one copy instead of each loading the dataset again (`source()`).
 */
import { type Image, makeImage, type Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

/** An ArrayDataset as it crosses to a worker thread: the shared block travels without a copy. */
export interface ArraySource {
  kind: 'array';
  name: string;
  images: Uint8Array;
  shape: { height: number; width: number; channels: 1 | 3 };
  labels: Int32Array | null;
  classes?: string[];
}

/** `bytes` in a SharedArrayBuffer: itself when it already is, else one copy. */
export function sharedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

export class ArrayDataset implements Dataset {
  readonly length: number;
  private block: Uint8Array;
  private readonly itemBytes: number;

  constructor(
    readonly name: string,
    images: Uint8Array,
    readonly shape: { height: number; width: number; channels: 1 | 3 },
    readonly labels: Int32Array | null,
    readonly classes?: string[],
  ) {
    this.block = images;
    this.itemBytes = shape.height * shape.width * shape.channels;
    if (images.length % this.itemBytes !== 0)
      throw new RangeError(
        `${name}: image block is not a whole number of ${shape.height}×${shape.width}×${shape.channels} images`,
      );
    this.length = images.length / this.itemBytes;
    if (labels && labels.length !== this.length)
      throw new RangeError(`${name}: ${this.length} images but ${labels.length} labels`);
  }

  /** The `(N, H, W, C)` pixel block (shared with loader workers once `source()` was called). */
  get images(): Uint8Array {
    return this.block;
  }

  /** The raw image (a view into the block: do not modify it). */
  image(idx: number): Image {
    checkIndex(this, idx);
    const { height, width, channels } = this.shape;
    return makeImage(this.images.subarray(idx * this.itemBytes, (idx + 1) * this.itemBytes), width, height, channels);
  }

  async get(idx: number): Promise<Sample> {
    const img = this.image(idx);
    return this.labels ? { img, label: this.labels[idx], idx } : { img, idx };
  }

  /** What a worker thread needs to rebuild this dataset on the same memory (the block becomes shared). */
  source(): ArraySource {
    this.block = sharedBytes(this.block);
    return {
      kind: 'array',
      name: this.name,
      images: this.images,
      shape: this.shape,
      labels: this.labels,
      ...(this.classes ? { classes: this.classes } : {}),
    };
  }

  /** The dataset a worker thread rebuilds from `source()`. */
  static fromSource(s: ArraySource): ArrayDataset {
    return new ArrayDataset(s.name, s.images, s.shape, s.labels, s.classes);
  }

  describe(): string {
    const { height, width, channels } = this.shape;
    return `${this.name}(${this.length} images ${height}×${width}×${channels}${this.classes ? `, ${this.classes.length} classes` : ', unlabeled'})`;
  }
}
