/** What every dataset offers: a length, random access to samples, and class names when labelled. */
import type { Sample } from '../image.js';

export interface Dataset {
  readonly length: number;
  /** Class names in label order; absent for unlabeled data. */
  readonly classes?: string[];
  /** Every sample's label without decoding anything (torchvision's `targets`); null if unlabeled. */
  readonly labels: ArrayLike<number> | null;
  /** The `idx`-th sample (decoded). Throws a DecodeError naming the file for a bad image. */
  get(idx: number): Promise<Sample>;
  /** One line for logs: format, root, size, classes. */
  describe(): string;
}

export function checkIndex(ds: Dataset, idx: number): void {
  if (!Number.isInteger(idx) || idx < 0 || idx >= ds.length) {
    throw new RangeError(`${ds.describe()}: index ${idx} out of range [0, ${ds.length})`);
  }
}
