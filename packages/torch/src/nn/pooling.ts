/** Pooling over `(N, C, H, W)`. */
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly o: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean } = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.o);
  }
  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.o.stride ?? this.kernelSize}, padding=${this.o.padding ?? 0}`;
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly o: { stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean } = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.o);
  }
  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.o.stride ?? this.kernelSize}, padding=${this.o.padding ?? 0}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}
