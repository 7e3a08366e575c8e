/**
 * Datasets held in memory as one `(N, H, W, C)` uint8 block plus labels: MNIST, Fashion-MNIST,
 * CIFAR-10/100 and STL-10 come as such arrays, so no per-image decoding is needed.
 */
import { type Image, makeImage, type Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

export class ArrayDataset implements Dataset {
  readonly length: number;
  private readonly itemBytes: number;

  constructor(
    readonly name: string,
    readonly images: Uint8Array,
    readonly shape: { height: number; width: number; channels: 1 | 3 },
    readonly labels: Int32Array | null,
    readonly classes?: string[],
  ) {
    this.itemBytes = shape.height * shape.width * shape.channels;
    if (images.length % this.itemBytes !== 0)
      throw new RangeError(
        `${name}: image block is not a whole number of ${shape.height}×${shape.width}×${shape.channels} images`,
      );
    this.length = images.length / this.itemBytes;
    if (labels && labels.length !== this.length)
      throw new RangeError(`${name}: ${this.length} images but ${labels.length} labels`);
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

  describe(): string {
    const { height, width, channels } = this.shape;
    return `${this.name}(${this.length} images ${height}×${width}×${channels}${this.classes ? `, ${this.classes.length} classes` : ', unlabeled'})`;
  }
}
