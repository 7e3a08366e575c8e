/**
 * Deterministic transforms with torchvision's semantics: Pad, ToTensor (uint8 → float in [0, 1])
 * and Normalize. They work on one `(C, H, W)` image or a batch `(N, C, H, W)` alike.
 */
import type { Tensor } from '@selfsup/torch';
import * as T from './functional.js';
import type { Transform } from './random.js';

/** torchvision's `Pad`: `padding` as 1, 2 (`[leftRight, topBottom]`) or 4 (`[l, t, r, b]`) numbers. */
export class Pad implements Transform {
  readonly sides: [number, number, number, number];
  constructor(
    padding: number | number[],
    readonly o: { fill?: number; paddingMode?: T.PaddingMode } = {},
  ) {
    this.sides = T.padSides(padding);
  }
  apply(img: Tensor): Tensor {
    return T.pad(img, this.sides, this.o);
  }
  applyBatch(batch: Tensor): Tensor {
    return T.pad(batch, this.sides, this.o);
  }
}

/** uint8 `[0, 255]` → float32 `[0, 1]` (the scaling of torchvision's `ToTensor`; the layout is already `(C, H, W)`). */
export class ToTensor implements Transform {
  apply(img: Tensor): Tensor {
    return img.isFloatingPoint() ? img.clone() : T.toFloat(img);
  }
  applyBatch(batch: Tensor): Tensor {
    return this.apply(batch);
  }
}

/** `(x − mean) / std` per channel on a float image (after ToTensor), as torchvision's `Normalize`. */
export class Normalize implements Transform {
  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {
    if (mean.length !== std.length) throw new RangeError(`Normalize: ${mean.length} means but ${std.length} stds`);
  }
  apply(img: Tensor): Tensor {
    if (!img.isFloatingPoint()) throw new TypeError('Normalize: expects a float image; put ToTensor before it');
    const c = img.shape[img.dim() - 3];
    if (c !== this.mean.length) throw new RangeError(`Normalize: image has ${c} channels, mean/std have ${this.mean.length}`);
    return T.normalize(img, this.mean, this.std);
  }
  applyBatch(batch: Tensor): Tensor {
    return this.apply(batch);
  }
}
